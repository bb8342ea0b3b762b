/** Hashing and constant-time comparison. */
import { toHex, utf8 } from "./encoding.ts";

export async function sha256Hex(input: string | Uint8Array<ArrayBuffer>): Promise<string> {
  const data = typeof input === "string" ? utf8(input) : input;
  return toHex(await crypto.subtle.digest("SHA-256", data));
}

/**
 * Constant-time equality of two strings. Both sides are hashed first so that the comparison
 * runs over equal-length buffers whatever the inputs' lengths.
 */
export async function timingSafeEqualStrings(a: string, b: string): Promise<boolean> {
  const [ha, hb] = await Promise.all([
    crypto.subtle.digest("SHA-256", utf8(a)),
    crypto.subtle.digest("SHA-256", utf8(b)),
  ]);
  return crypto.subtle.timingSafeEqual(ha, hb) && a.length === b.length;
}
