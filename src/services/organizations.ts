/**
 * Organizations and their API keys. Keys are shown once, stored as SHA-256 hashes with a
 * short prefix kept for lookup, revocable, with `last_used_at` tracked.
 */
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Role } from "../auth.ts";
import { sha256Hex, timingSafeEqualStrings } from "../crypto/hash.ts";
import { forgetOrgKeys, type Vault } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import {
  type ApiKeyRow,
  apiKeys,
  deadLetters,
  jobCounters,
  type OrganizationRow,
  organizations,
  orgKeys,
} from "../db/schema.ts";
import type { Shards } from "../db/shards.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { prefixedId, randomToken, uuidv7 } from "../lib/ids.ts";
import type { Activity } from "./activity.ts";
import { forgetOrgIntegrations } from "./integration-cache.ts";
import { type AuthenticatedKey, cachedKey, cacheKey, forgetKeys } from "./key-cache.ts";

export const API_KEY_PREFIX = "sbk_";
/** The stored, non-secret head of an API key that finds its row. */
export const PREFIX_LEN = 12;
const LAST_USED_GRANULARITY_MS = 60_000;

export type { AuthenticatedKey } from "./key-cache.ts";

export const isApiKey = (token: string) => token.startsWith(API_KEY_PREFIX) && token.length > PREFIX_LEN;

function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 48);
  return s || "org";
}

export const serializeOrg = (o: OrganizationRow) => ({
  id: o.id,
  name: o.name,
  slug: o.slug,
  created_at: o.createdAt,
  updated_at: o.updatedAt,
});

export const serializeKey = (k: ApiKeyRow) => ({
  id: k.id,
  org_id: k.orgId,
  name: k.name,
  role: k.role,
  prefix: k.prefix,
  created_at: k.createdAt,
  last_used_at: k.lastUsedAt,
  revoked_at: k.revokedAt,
});

export class Organizations {
  constructor(
    private readonly db: Db,
    private readonly shards: Shards,
    private readonly activity: Activity,
    private readonly vault: () => Promise<Vault>,
  ) {}

  private async newKey(orgId: string, role: Role, name: string | null) {
    const secret = `${API_KEY_PREFIX}${randomToken(24)}`;
    const row = {
      id: prefixedId("key"),
      orgId,
      name,
      role,
      prefix: secret.slice(0, PREFIX_LEN),
      hash: await sha256Hex(secret),
    };
    return { secret, row };
  }

  /** Creates an organization with its data key and a first admin key, atomically. */
  async create(input: { name: string; slug?: string }, actor: string) {
    const vault = await this.vault();
    const id = uuidv7();
    const slug = input.slug ?? `${slugify(input.name)}-${id.slice(-6)}`;
    const clash = await this.db
      .select({ id: organizations.id })
      .from(organizations)
      .where(eq(organizations.slug, slug));
    if (clash.length)
      throw new ApiError(ErrorCode.CONFLICT, `An organization with slug "${slug}" already exists`);
    const keyRow = await vault.newOrgKey(id);
    const { secret, row } = await this.newKey(id, "admin", "bootstrap");
    try {
      await this.db.batch([
        this.db.insert(organizations).values({ id, name: input.name, slug }),
        this.db.insert(orgKeys).values(keyRow),
        this.db.insert(apiKeys).values(row),
        this.activity.auditStatement({
          orgId: id,
          actor,
          action: "organization.created",
          targetType: "organization",
          targetId: id,
          details: { name: input.name, slug },
        }),
        this.activity.auditStatement({
          orgId: id,
          actor,
          action: "api_key.created",
          targetType: "api_key",
          targetId: row.id,
          details: { role: "admin", prefix: row.prefix },
        }),
      ]);
    } catch (e) {
      // The slug taken meanwhile (read from D1, not the error's text).
      const taken = await this.db
        .select({ id: organizations.id })
        .from(organizations)
        .where(eq(organizations.slug, slug))
        .limit(1);
      if (taken.length) {
        throw new ApiError(ErrorCode.CONFLICT, `An organization with slug "${slug}" already exists`);
      }
      throw e;
    }
    const org = await this.get(id);
    const key = await this.db.select().from(apiKeys).where(eq(apiKeys.id, row.id));
    return { org, apiKey: secret, key: key[0] as ApiKeyRow };
  }

  async get(id: string): Promise<OrganizationRow> {
    const rows = await this.db.select().from(organizations).where(eq(organizations.id, id));
    const org = rows[0];
    if (!org) throw new ApiError(ErrorCode.NOT_FOUND, "Organization not found");
    return org;
  }

  async list(): Promise<OrganizationRow[]> {
    return this.db.select().from(organizations).orderBy(desc(organizations.id)).limit(1000);
  }

  /**
   * Deletes an organization and everything it owns. Its wrapped data keys go with it, so any
   * copy of its ciphertexts (a backup, say) can no longer be decrypted.
   *
   * In each shard (src/db/shards.ts) its stand-in row goes first, and its rows there by cascade
   * (rows an earlier move left behind too): should the rest fail, the organization is still
   * there to delete again.
   */
  async delete(id: string, actor: string) {
    await this.get(id);
    for (const data of this.shards.all())
      if (data !== this.db) await data.delete(organizations).where(eq(organizations.id, id));
    await this.db.batch([
      this.db.delete(organizations).where(eq(organizations.id, id)),
      // The job engine's tables carry org_id without a foreign key: cleared here.
      this.db.delete(deadLetters).where(eq(deadLetters.orgId, id)),
      this.db.delete(jobCounters).where(eq(jobCounters.orgId, id)),
      this.activity.auditStatement({
        orgId: null,
        actor,
        action: "organization.deleted",
        targetType: "organization",
        targetId: id,
        details: { data_key: "destroyed" },
      }),
    ]);
    forgetOrgKeys(id);
    forgetKeys({ orgId: id });
    forgetOrgIntegrations(id);
  }

  async createKey(orgId: string, input: { role: Role; name?: string }, actor: string) {
    await this.get(orgId);
    const { secret, row } = await this.newKey(orgId, input.role, input.name ?? null);
    await this.db.batch([
      this.db.insert(apiKeys).values(row),
      this.activity.auditStatement({
        orgId,
        actor,
        action: "api_key.created",
        targetType: "api_key",
        targetId: row.id,
        details: { role: input.role, name: input.name ?? null, prefix: row.prefix },
      }),
    ]);
    const key = await this.db.select().from(apiKeys).where(eq(apiKeys.id, row.id));
    return { apiKey: secret, key: key[0] as ApiKeyRow };
  }

  async listKeys(orgId: string): Promise<ApiKeyRow[]> {
    await this.get(orgId);
    return this.db.select().from(apiKeys).where(eq(apiKeys.orgId, orgId)).orderBy(desc(apiKeys.id));
  }

  async revokeKey(orgId: string, keyId: string, actor: string): Promise<ApiKeyRow> {
    const rows = await this.db
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.id, keyId)));
    if (!rows[0]) throw new ApiError(ErrorCode.NOT_FOUND, "API key not found");
    await this.db.batch([
      this.db
        .update(apiKeys)
        .set({ revokedAt: sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))` })
        .where(and(eq(apiKeys.orgId, orgId), eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt))),
      this.activity.auditStatement({
        orgId,
        actor,
        action: "api_key.revoked",
        targetType: "api_key",
        targetId: keyId,
        details: { prefix: rows[0].prefix },
      }),
    ]);
    forgetKeys({ keyId });
    const after = await this.db.select().from(apiKeys).where(eq(apiKeys.id, keyId));
    return after[0] as ApiKeyRow;
  }

  /**
   * Finds the live key for a bearer secret: from the isolate's cache (src/services/key-cache.ts),
   * else a prefix lookup and a constant-time hash compare.
   */
  async authenticate(secret: string): Promise<AuthenticatedKey | null> {
    if (!isApiKey(secret)) return null;
    const hash = await sha256Hex(secret);
    const cached = cachedKey(hash);
    if (cached) return cached;
    const rows = await this.db
      .select({
        keyId: apiKeys.id,
        hash: apiKeys.hash,
        role: apiKeys.role,
        orgId: apiKeys.orgId,
        orgSlug: organizations.slug,
        lastUsedAt: apiKeys.lastUsedAt,
      })
      .from(apiKeys)
      .innerJoin(organizations, eq(organizations.id, apiKeys.orgId))
      .where(and(eq(apiKeys.prefix, secret.slice(0, PREFIX_LEN)), isNull(apiKeys.revokedAt)));
    // Hashed whether or not the prefix exists, so an unknown key takes the same steps as a wrong one.
    if (!rows.length) return null;
    for (const r of rows) {
      if (await timingSafeEqualStrings(r.hash, hash)) {
        const key = {
          keyId: r.keyId,
          orgId: r.orgId,
          orgSlug: r.orgSlug,
          role: r.role,
          lastUsedAt: r.lastUsedAt,
        };
        cacheKey(hash, key);
        return key;
      }
    }
    return null;
  }

  /** Records use of a key, at most once a minute per key. */
  async touchKey(key: AuthenticatedKey): Promise<void> {
    if (key.lastUsedAt && Date.now() - Date.parse(key.lastUsedAt) < LAST_USED_GRANULARITY_MS) return;
    const at = new Date().toISOString();
    // The cached key is this object: later requests in the isolate see the new time.
    key.lastUsedAt = at;
    await this.db.update(apiKeys).set({ lastUsedAt: at }).where(eq(apiKeys.id, key.keyId));
  }
}
