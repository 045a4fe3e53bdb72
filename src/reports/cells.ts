import type { CellValue, ReportColumn } from './document';

const NUMERIC = new Set<ReportColumn['kind']>(['integer', 'number', 'percent']);
/** A plain decimal literal: what Postgres' numeric columns arrive as over the HTTP driver. */
const DECIMAL = /^-?\d+(\.\d+)?$/;

export const isNumericKind = (kind: ReportColumn['kind']) => NUMERIC.has(kind);

/**
 * The number in a numeric column's cell, or null when there is none. A string counts only when it
 * is a plain decimal literal, so nothing that could be read as a formula is ever written as one.
 */
export function numberOf(value: CellValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && DECIMAL.test(value)) return Number(value);
  return null;
}

export interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const clockFormats = new Map<string, Intl.DateTimeFormat>();

/** The date and time an instant shows on a clock in `timeZone`, or null for an unreadable value. */
export function wallClock(iso: string, timeZone: string): WallClock | null {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return null;
  let format = clockFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    clockFormats.set(timeZone, format);
  }
  const parts: Record<string, number> = {};
  for (const p of format.formatToParts(ms)) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return {
    year: parts.year!,
    month: parts.month!,
    day: parts.day!,
    hour: parts.hour!,
    minute: parts.minute!,
    second: parts.second!,
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/** "2026-01-05 14:03" in `timeZone`; the value itself when it is not a timestamp. */
export function localDateTime(iso: string, timeZone: string): string {
  const c = wallClock(iso, timeZone);
  if (!c) return iso;
  return `${c.year}-${pad(c.month)}-${pad(c.day)} ${pad(c.hour)}:${pad(c.minute)}`;
}
