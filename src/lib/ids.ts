/** Identifiers: UUIDv7 for rows that 001 clients see as UUIDs, prefixed ids elsewhere. */
import { randomBytes, toBase64Url, toHex } from "../crypto/encoding.ts";

/** RFC 9562 UUIDv7: time-ordered, so cursors over ids follow creation order. */
export function uuidv7(nowMs = Date.now()): string {
  const b = randomBytes(16);
  let ms = nowMs;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x70;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A prefixed, time-ordered id such as `log_0193...`. */
export const prefixedId = (prefix: string): string => `${prefix}_${uuidv7().replace(/-/g, "")}`;

/** A random URL-safe token with `bytes` bytes of entropy. */
export const randomToken = (bytes = 24): string => toBase64Url(randomBytes(bytes));

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
