/**
 * MD5 (RFC 1321) in plain JavaScript, for the simulator's Vonage signatures (`md5hash` and
 * HMAC-MD5). WebCrypto has no MD5, and the simulator's signers also run in Node
 * (test/official), so they cannot lean on Workers' non-standard `digest("MD5")` as the hub does.
 */

/** Per-round shift amounts. */
const SHIFTS = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];
/** K[i] = floor(|sin(i + 1)| * 2^32). */
const K = Array.from({ length: 64 }, (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) >>> 0);

export function md5(input: Uint8Array): Uint8Array<ArrayBuffer> {
  const length = input.length;
  // The message, 0x80, zeros, then the bit length (64 bits, little-endian), to a multiple of 64 bytes.
  const padded = new Uint8Array((((length + 8) >>> 6) << 6) + 64);
  padded.set(input);
  padded[length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, (length * 8) >>> 0, true);
  view.setUint32(padded.length - 4, Math.floor(length / 2 ** 29), true);
  const state = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  for (let block = 0; block < padded.length; block += 64) {
    let [a, b, c, d] = state as [number, number, number, number];
    for (let i = 0; i < 64; i++) {
      let f: number;
      let g: number;
      if (i < 16) {
        f = (b & c) | (~b & d);
        g = i;
      } else if (i < 32) {
        f = (d & b) | (~d & c);
        g = (5 * i + 1) % 16;
      } else if (i < 48) {
        f = b ^ c ^ d;
        g = (3 * i + 5) % 16;
      } else {
        f = c ^ (b | ~d);
        g = (7 * i) % 16;
      }
      const s = SHIFTS[(i >> 4) * 4 + (i % 4)] as number;
      const x = (a + f + (K[i] as number) + view.getUint32(block + g * 4, true)) | 0;
      a = d;
      d = c;
      c = b;
      b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
    }
    state[0] = ((state[0] as number) + a) | 0;
    state[1] = ((state[1] as number) + b) | 0;
    state[2] = ((state[2] as number) + c) | 0;
    state[3] = ((state[3] as number) + d) | 0;
  }
  const out = new Uint8Array(16);
  const outView = new DataView(out.buffer);
  for (const [i, word] of state.entries()) outView.setUint32(i * 4, word >>> 0, true);
  return out;
}

/** HMAC-MD5 (RFC 2104): MD5((K ⊕ opad) ‖ MD5((K ⊕ ipad) ‖ message)), 64-byte blocks. */
export function hmacMd5(key: Uint8Array, message: Uint8Array): Uint8Array<ArrayBuffer> {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? md5(key) : key);
  const inner = new Uint8Array(64 + message.length);
  inner.set(block.map((b) => b ^ 0x36));
  inner.set(message, 64);
  const outer = new Uint8Array(64 + 16);
  outer.set(block.map((b) => b ^ 0x5c));
  outer.set(md5(inner), 64);
  return md5(outer);
}
