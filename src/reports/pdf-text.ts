import type { PDFFont } from '@cantoo/pdf-lib';

/**
 * Text in a standard PDF font (Helvetica, WinAnsi encoding): making any string drawable, measuring
 * it and writing it as a content-stream string. The standard fonts need no embedding, which keeps
 * a report small, but they cover only WinAnsi (Latin-1 plus a few typographic signs), so every
 * string is mapped into that set first: a name like "Zoë" stays as it is, "Łukasz" becomes
 * "Lukasz", and what has no Latin form (an emoji, CJK) becomes "?". Nothing that reaches the
 * font can make it throw.
 */
export class StandardFontText {
  /** Unicode code point -> WinAnsi byte. */
  private readonly codes = new Map<number, number>();
  /** WinAnsi byte -> width per 1000 units of font size, per font. */
  private readonly widths: Float64Array[];
  private readonly ellipsis = '\u2026';

  constructor(fonts: PDFFont[]) {
    for (const cp of fonts[0]!.getCharacterSet()) {
      const [code] = fonts[0]!.encodeText(String.fromCodePoint(cp)).asBytes();
      if (code !== undefined) this.codes.set(cp, code);
    }
    this.widths = fonts.map((font) => {
      const table = new Float64Array(256);
      for (const [cp, code] of this.codes) table[code] = font.widthOfTextAtSize(String.fromCodePoint(cp), 1000);
      return table;
    });
  }

  /** `text` with every character the font can draw, line breaks and tabs turned into spaces. */
  sanitize(text: string): string {
    let out = '';
    let clean = true;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c < 32 || !this.codes.has(c)) {
        clean = false;
        break;
      }
    }
    if (clean) return text;
    for (const ch of text.normalize('NFC')) {
      const cp = ch.codePointAt(0)!;
      if (cp === 9 || cp === 10 || cp === 13) out += ' ';
      else if (cp >= 32 && this.codes.has(cp)) out += ch;
      else out += this.fallback(ch);
    }
    return out.replace(/ {2,}/g, ' ');
  }

  private fallback(ch: string): string {
    const mapped = LATIN_FALLBACK[ch];
    if (mapped !== undefined) return mapped;
    // Format characters (zero-width joiners, directional marks) draw nothing.
    if (/\p{Cf}/u.test(ch) || /\p{Cc}/u.test(ch)) return '';
    // A letter with marks becomes its base letter; a lone mark (an emoji's variation selector) nothing.
    const base = ch.normalize('NFKD').replace(/\p{M}/gu, '');
    if ([...base].every((b) => this.codes.has(b.codePointAt(0)!))) return base;
    return '?';
  }

  /** Width in points of already sanitized text. `font` indexes the fonts given to the constructor. */
  width(text: string, font: number, size: number): number {
    const table = this.widths[font]!;
    let w = 0;
    for (let i = 0; i < text.length; i++) w += table[this.codes.get(text.charCodeAt(i)) ?? 63]!;
    return (w * size) / 1000;
  }

  /** Sanitized text cut to `maxWidth` points, with an ellipsis when something was cut. */
  fit(text: string, font: number, size: number, maxWidth: number): string {
    if (this.width(text, font, size) <= maxWidth) return text;
    const table = this.widths[font]!;
    const budget = (maxWidth * 1000) / size - table[this.codes.get(0x2026)!]!;
    let w = 0;
    let i = 0;
    for (; i < text.length; i++) {
      w += table[this.codes.get(text.charCodeAt(i)) ?? 63]!;
      if (w > budget) break;
    }
    return budget > 0 ? text.slice(0, i).trimEnd() + this.ellipsis : '';
  }

  /**
   * Sanitized text split into at most `maxLines` lines of `maxWidth` points at word boundaries. A
   * word longer than a line is broken with a hyphen when `hyphenate` is set and cut with an
   * ellipsis otherwise; what does not fit in the last line ends in an ellipsis.
   */
  wrap(text: string, font: number, size: number, maxWidth: number, maxLines: number, hyphenate = false): string[] {
    const lines: string[] = [];
    const words = text.split(' ').filter(Boolean);
    let line = '';
    for (let i = 0; i < words.length; i++) {
      let word = words[i]!;
      const candidate = line ? `${line} ${word}` : word;
      if (this.width(candidate, font, size) <= maxWidth) {
        line = candidate;
        continue;
      }
      if (line) lines.push(line);
      line = '';
      while (this.width(word, font, size) > maxWidth && lines.length < maxLines - 1) {
        const cut = hyphenate ? this.breakPoint(word, font, size, maxWidth) : null;
        if (!cut) break;
        lines.push(word.slice(0, cut.at) + (cut.hyphen ? '-' : ''));
        word = word.slice(cut.at);
      }
      if (lines.length === maxLines - 1) {
        lines.push(this.fit([word, ...words.slice(i + 1)].join(' '), font, size, maxWidth));
        return lines;
      }
      line = this.fit(word, font, size, maxWidth);
    }
    if (line) lines.push(line);
    return lines;
  }

  /**
   * Where to break `word` so that its head fits `maxWidth`: after a hyphen it already has, else
   * with an added hyphen, keeping 3 letters on each side; null if nowhere.
   */
  private breakPoint(
    word: string,
    font: number,
    size: number,
    maxWidth: number,
  ): { at: number; hyphen: boolean } | null {
    for (let at = word.lastIndexOf('-', word.length - 2) + 1; at > 1; at = word.lastIndexOf('-', at - 2) + 1)
      if (this.width(word.slice(0, at), font, size) <= maxWidth) return { at, hyphen: false };
    for (let at = word.length - 3; at >= 3; at--)
      if (this.width(word.slice(0, at) + '-', font, size) <= maxWidth) return { at, hyphen: true };
    return null;
  }

  /** A PDF literal string of sanitized text: WinAnsi bytes, ASCII in the content stream. */
  literal(text: string): string {
    let out = '(';
    for (let i = 0; i < text.length; i++) {
      const code = this.codes.get(text.charCodeAt(i)) ?? 63;
      if (code === 40 || code === 41 || code === 92) out += '\\' + String.fromCharCode(code);
      else if (code >= 32 && code < 127) out += String.fromCharCode(code);
      else out += '\\' + code.toString(8).padStart(3, '0');
    }
    return out + ')';
  }
}

/** Latin letters without a decomposition, and signs with a close WinAnsi neighbour. */
const LATIN_FALLBACK: Record<string, string> = {
  Ł: 'L',
  ł: 'l',
  Đ: 'D',
  đ: 'd',
  Ħ: 'H',
  ħ: 'h',
  ı: 'i',
  Ŧ: 'T',
  ŧ: 't',
  Ŋ: 'N',
  ŋ: 'n',
  ĸ: 'k',
  ſ: 's',
  Ə: 'E',
  ə: 'e',
  '\u2212': '-',
  '\u2010': '-',
  '\u2011': '-',
  '\u2012': '\u2013',
  '\u2015': '\u2014',
  '\u2032': "'",
  '\u2033': '"',
  '\u00a0': ' ',
  '\u2007': ' ',
  '\u2009': ' ',
  '\u202f': ' ',
};
