/**
 * Which origins a tenant may have recordings fetched from. A webhook names the recording URL, so an
 * origin the tenant lists is one the Worker will call: only public HTTPS hosts on the default port
 * qualify. IP literals are judged after WHATWG URL parsing, which already turns every IPv4 spelling
 * (decimal `2130706433`, hex `0x7f.1`, short `127.1`, octal) into dotted quads and compresses IPv6,
 * so one check covers them all. Host names cannot be resolved here; the Workers runtime does not
 * route to private networks, and a name in a special-use or internal-only domain is refused anyway.
 */

export interface MediaOriginPolicy {
  /**
   * Local development only (ALLOW_LOOPBACK_MEDIA_ORIGINS): the stand-ins live on 127.0.0.1, on their own
   * ports, over http. Loopback is all this opens; private and link-local addresses stay refused.
   */
  allowLoopback: boolean;
}

/** IPv4 ranges that are not the public internet (RFC 6890 and friends), as [first octets, prefix length]. */
const NON_PUBLIC_V4: [number[], number][] = [
  [[0], 8], // "this network", 0.0.0.0
  [[10], 8], // private
  [[100, 64], 10], // carrier-grade NAT
  [[127], 8], // loopback
  [[169, 254], 16], // link-local (cloud metadata)
  [[172, 16], 12], // private
  [[192, 0, 0], 24], // IETF protocol assignments
  [[192, 0, 2], 24], // documentation
  [[192, 88, 99], 24], // 6to4 relay
  [[192, 168], 16], // private
  [[198, 18], 15], // benchmarking
  [[198, 51, 100], 24], // documentation
  [[203, 0, 113], 24], // documentation
  [[224], 4], // multicast
  [[240], 4], // reserved, broadcast
];

/** Domains that never name a public host (special-use names and common internal-only suffixes). */
const INTERNAL_SUFFIXES = [
  'localhost',
  'local',
  'internal',
  'intranet',
  'lan',
  'home',
  'corp',
  'arpa',
  'invalid',
  'onion',
];

function ipv4(host: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return null;
  return ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
}

function inRange(address: number, [start, prefix]: [number[], number]): boolean {
  const base = ((start[0] ?? 0) << 24) | ((start[1] ?? 0) << 16) | ((start[2] ?? 0) << 8) | (start[3] ?? 0);
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  return (address & mask) >>> 0 === (base & mask) >>> 0;
}

function isLoopback(host: string): boolean {
  const v4 = ipv4(host);
  if (v4 !== null) return v4 >>> 24 === 127;
  return host === '[::1]' || host === 'localhost' || host.endsWith('.localhost');
}

/**
 * Why `origin` may not be a media origin, as a field message, or null when it may. `origin` must
 * already be an origin (scheme, host, optional port).
 */
export function mediaOriginProblem(origin: string, policy: MediaOriginPolicy): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'must be an origin such as https://media.example.com';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must use https';
  const host = url.hostname.replace(/\.$/, '').toLowerCase();
  if (isLoopback(host)) return policy.allowLoopback ? null : 'must not be a loopback address';
  if (url.protocol !== 'https:') return 'must use https';
  if (url.port !== '') return 'must not name a port (recordings are fetched over https on 443)';
  if (host.startsWith('[')) return 'must not be an IPv6 address literal; use a host name';
  const v4 = ipv4(host);
  if (v4 !== null) {
    return NON_PUBLIC_V4.some((range) => inRange(v4, range))
      ? 'must not be a private, link-local or reserved address'
      : null;
  }
  if (!host.includes('.')) return 'must be a fully qualified public host name';
  const tld = host.slice(host.lastIndexOf('.') + 1);
  if (INTERNAL_SUFFIXES.includes(tld) || /^\d+$/.test(tld)) return 'must be a public host name, not an internal one';
  return null;
}
