/** The media-origin rule on its own (pure logic); the API's 422s are in test/api/webhooks.test.ts. */
import { describe, expect, it } from 'vitest';
import { mediaOriginProblem } from '../../src/lib/media-origin.ts';

const production = { allowLoopback: false };
const localDevelopment = { allowLoopback: true };
const origin = (u: string) => new URL(u).origin;

describe('mediaOriginProblem', () => {
  it.each([
    'https://media.example.com',
    'https://cdn.provider.io',
    'https://8.8.8.8',
    origin('https://MEDIA.Example.COM:443'),
  ])('accepts the public https origin %s', (o) => {
    expect(mediaOriginProblem(o, production)).toBeNull();
  });

  it.each([
    ['http://127.0.0.1:8081', 'loopback'],
    [origin('http://2130706433'), 'loopback (decimal)'],
    [origin('http://0x7f000001'), 'loopback (hex)'],
    [origin('http://127.1'), 'loopback (short)'],
    [origin('http://0177.0.0.1'), 'loopback (octal)'],
    ['https://[::1]', 'IPv6 loopback'],
    ['https://localhost', 'localhost'],
    ['https://media.localhost', 'a .localhost name'],
  ])('SSRF through media_origins: refuses %s (%s) in production', (o) => {
    expect(mediaOriginProblem(o, production)).toMatch(/loopback/);
  });

  it.each(['http://127.0.0.1:8081', 'https://127.0.0.1', 'http://[::1]:8080', 'http://localhost:5173'])(
    'SSRF through media_origins: the local-development flag allows loopback %s',
    (o) => {
      expect(mediaOriginProblem(o, localDevelopment)).toBeNull();
    },
  );

  it.each([
    'https://10.0.0.1',
    'https://172.16.0.1',
    'https://172.31.255.255',
    'https://192.168.0.1',
    'https://169.254.169.254',
    origin('https://0xa9fea9fe'),
    origin('https://2852039166'),
    'https://100.64.0.1',
    'https://0.0.0.0',
    origin('https://0'),
    'https://224.0.0.1',
    'https://255.255.255.255',
    'https://[fe80::1]',
    'https://[fd00::1]',
    'https://[2001:db8::1]',
    origin('https://[::ffff:127.0.0.1]'),
    origin('https://[::ffff:10.0.0.1]'),
    origin('https://[::]'),
    'http://192.168.1.1:8080',
    'http://media.example.com',
    'https://media.example.com:8443',
    'https://intranet',
    'https://media.internal',
    'https://printer.local',
    'https://router.home.arpa',
  ])('SSRF through media_origins: refuses %s, with the local-development flag too', (o) => {
    expect(mediaOriginProblem(o, production)).not.toBeNull();
    expect(mediaOriginProblem(o, localDevelopment)).not.toBeNull();
  });
});
