/**
 * The per-isolate cache of authenticated API keys: the SHA-256 of a bearer secret → its key,
 * organization and role. An authenticated request then makes no D1 read for its key. An entry
 * serves for at most KEY_CACHE_TTL_MS: a key revoked (or an organization deleted) in this
 * isolate is dropped at once, and one revoked elsewhere stops working here within the TTL.
 * Only successes are kept; a wrong key is looked up (and throttled) every time.
 */
import type { Role } from "../auth.ts";

/** An API key that authenticated a request: its organization and role. */
export interface AuthenticatedKey {
  keyId: string;
  orgId: string;
  orgSlug: string;
  role: Role;
  lastUsedAt: string | null;
}

/** The longest a revoked key can keep working in another isolate (the README says 30 s). */
export const KEY_CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 10_000;

interface Entry {
  key: AuthenticatedKey;
  until: number;
}

const byHash = new Map<string, Entry>();
let now: () => number = () => Date.now();

/** Replaces the cache's clock (tests advance it past the TTL); returns the one it replaces. */
export function setKeyCacheClock(clock: () => number): () => number {
  const previous = now;
  now = clock;
  return previous;
}

/** The key a secret's hash authenticated within the TTL, if any. */
export function cachedKey(hash: string): AuthenticatedKey | undefined {
  const e = byHash.get(hash);
  if (!e) return undefined;
  if (e.until > now()) return e.key;
  byHash.delete(hash);
  return undefined;
}

export function cacheKey(hash: string, key: AuthenticatedKey): void {
  if (byHash.size >= MAX_ENTRIES) byHash.clear();
  byHash.set(hash, { key, until: now() + KEY_CACHE_TTL_MS });
}

/** Drops the entries of one key (revoked) or of every key of an organization (deleted). */
export function forgetKeys(match: { keyId?: string; orgId?: string }): void {
  for (const [hash, e] of byHash) {
    if (e.key.keyId === match.keyId || e.key.orgId === match.orgId) byHash.delete(hash);
  }
}
