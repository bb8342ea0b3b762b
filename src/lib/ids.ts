/** Identifiers: UUIDv7 for rows that 001 clients see as UUIDs, prefixed ids elsewhere. */
import { randomBytes, toBase64Url, toHex } from "../crypto/encoding.ts";

/** The last UUIDv7 of this isolate: its millisecond and its 12-bit counter (RFC 9562 §6.2, method 1). */
let lastMs = -1;
let counter = 0;

/**
 * RFC 9562 UUIDv7: time-ordered, so cursors over ids follow creation order. Ids made in one
 * millisecond (a Worker's clock stands still between I/O) keep their order too: `rand_a` is a
 * counter seeded at random in its lower half and stepped for each id of the same millisecond;
 * when it runs out the timestamp moves one millisecond on, and it never goes back.
 */
export function uuidv7(nowMs = Date.now()): string {
  const b = randomBytes(16);
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = (((b[6] ?? 0) << 8) | (b[7] ?? 0)) & 0x7ff;
  } else if (++counter > 0xfff) {
    lastMs += 1;
    counter = (((b[6] ?? 0) << 8) | (b[7] ?? 0)) & 0x7ff;
  }
  let ms = lastMs;
  for (let i = 5; i >= 0; i--) {
    b[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** A prefixed, time-ordered id such as `log_0193...`. */
export const prefixedId = (prefix: string): string => `${prefix}_${uuidv7().replace(/-/g, "")}`;

/** A random URL-safe token with `bytes` bytes of entropy. */
export const randomToken = (bytes = 24): string => toBase64Url(randomBytes(bytes));

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
