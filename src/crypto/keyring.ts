/**
 * The deployment's key ring, parsed from `ENCRYPTION_KEYS` (`id:base64key,id:base64key,...`,
 * 32-byte keys). The first entry wraps new organization keys; every entry unwraps. Parsed and
 * imported once per isolate.
 */
import { fromBase64 } from "./encoding.ts";

export class KeyRingError extends Error {
  override name = "KeyRingError";
}

export interface RingKey {
  id: string;
  key: CryptoKey;
}

export interface KeyRing {
  current: RingKey;
  byId: Map<string, RingKey>;
  ids: string[];
}

const ID_RE = /^[A-Za-z0-9_.-]{1,32}$/;
const cache = new Map<string, Promise<KeyRing>>();

/** Parses and imports the ring, cached per isolate by its text. Throws KeyRingError. */
export function loadKeyRing(raw: string | undefined): Promise<KeyRing> {
  const text = (raw ?? "").trim();
  let ring = cache.get(text);
  if (!ring) {
    ring = importRing(text);
    // A failed parse is not cached, so a fixed secret takes effect without a restart.
    ring.catch(() => cache.delete(text));
    cache.set(text, ring);
  }
  return ring;
}

async function importRing(text: string): Promise<KeyRing> {
  if (!text) {
    throw new KeyRingError(
      "ENCRYPTION_KEYS is not set: the vault has no key ring (expected `id:base64key[,id:base64key...]`)",
    );
  }
  const entries = text.split(",").map((e) => e.trim());
  const byId = new Map<string, RingKey>();
  const ids: string[] = [];
  for (const [i, entry] of entries.entries()) {
    const sep = entry.indexOf(":");
    const id = sep > 0 ? entry.slice(0, sep) : "";
    const b64 = sep > 0 ? entry.slice(sep + 1) : "";
    if (!ID_RE.test(id)) {
      throw new KeyRingError(`ENCRYPTION_KEYS entry ${i + 1} is malformed: expected \`id:base64key\``);
    }
    if (byId.has(id)) throw new KeyRingError(`ENCRYPTION_KEYS lists key id "${id}" twice`);
    let raw: Uint8Array<ArrayBuffer>;
    try {
      raw = fromBase64(b64);
    } catch {
      throw new KeyRingError(`ENCRYPTION_KEYS key "${id}" is not valid base64`);
    }
    if (raw.length !== 32) {
      throw new KeyRingError(`ENCRYPTION_KEYS key "${id}" must be 32 bytes, got ${raw.length}`);
    }
    const key = await crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    byId.set(id, { id, key });
    ids.push(id);
  }
  const first = ids[0];
  const current = first === undefined ? undefined : byId.get(first);
  if (!current) throw new KeyRingError("ENCRYPTION_KEYS has no keys");
  return { current, byId, ids };
}
