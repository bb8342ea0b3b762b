/**
 * The integrations service: one implementation behind both API dialects (001 RPC and REST).
 * Every query is scoped by organization; secrets go only through the vault; each write is one
 * D1 batch together with its integration log entry and audit record, so nothing is half-written.
 */
import { and, count, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Settings } from "../config.ts";
import type { Vault } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import { type IntegrationRow, integrations } from "../db/schema.ts";
import { ApiError, ErrorCode, type Issue, notFound } from "../errors.ts";
import { randomToken, UUID_RE, uuidv7 } from "../lib/ids.ts";
import { checkOutboundHost, checkOutboundUrl } from "../lib/outbound.ts";
import { decodeCursor, pageOf } from "../lib/pagination.ts";
import { getProvider } from "../providers/registry.ts";
import type { Provider } from "../providers/types.ts";
import type { Activity } from "./activity.ts";
import { missingFields, resolveFields } from "./fields.ts";
import { forgetWebhookTarget } from "./webhook-targets.ts";

export const STATUSES = ["active", "inactive", "error", "pending"] as const;
export type Status = (typeof STATUSES)[number];

export interface IntegrationWrite {
  name?: string;
  isActive?: boolean;
  status?: Status;
  /** Free-form settings; merged into the stored config (null removes a key). */
  config?: Record<string, unknown>;
  /** Flat field values by declared name or alias (credentials, configure bodies, `extra`). */
  values?: Record<string, unknown>;
  apiBaseUrl?: string | null;
  webhookUrl?: string | null;
  webhookVerifyToken?: string | null;
  tokenExpiresAt?: string | null;
}

export interface WriteContext {
  actor: string;
  /** Public origin of the hub, for generated webhook URLs. */
  publicUrl: string;
  /** Which dialect is writing; decides the form of a generated webhook URL. */
  dialect: "compat" | "rest";
}

export interface ListFilter {
  /** Category or provider id. */
  type?: string;
  provider?: string;
  activeOnly?: boolean;
  cursor?: string;
  limit: number;
}

export function providerOf(row: IntegrationRow): Provider {
  const p = getProvider(row.provider);
  if (!p) throw new Error(`integration ${row.id} has unknown provider ${row.provider}`);
  return p;
}

export class Integrations {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly vault: () => Promise<Vault>,
    private readonly settings: Settings,
  ) {}

  async list(orgId: string, f: ListFilter) {
    const after = decodeCursor(f.cursor);
    const rows = await this.db
      .select()
      .from(integrations)
      .where(
        and(
          eq(integrations.orgId, orgId),
          f.type ? or(eq(integrations.category, f.type), eq(integrations.provider, f.type)) : undefined,
          f.provider ? eq(integrations.provider, f.provider) : undefined,
          f.activeOnly ? eq(integrations.isActive, true) : undefined,
          after ? lt(integrations.id, after) : undefined,
        ),
      )
      .orderBy(desc(integrations.id))
      .limit(f.limit + 1);
    return pageOf(rows, f.limit);
  }

  /** The organization's integration `id`; another tenant's or a missing one is a 404. */
  async get(orgId: string, id: string): Promise<IntegrationRow> {
    if (!UUID_RE.test(id)) throw notFound();
    const rows = await this.db
      .select()
      .from(integrations)
      .where(and(eq(integrations.orgId, orgId), eq(integrations.id, id)))
      .limit(1);
    const row = rows[0];
    if (!row) throw notFound();
    return row;
  }

  /**
   * The organization's integration of a provider, for per-provider routes. With several (the
   * 001 dialect allows that) the caller must name one with `integration_id`.
   */
  async findByProvider(
    orgId: string,
    providerId: string,
    integrationId?: string,
  ): Promise<IntegrationRow | null> {
    if (integrationId) {
      const row = await this.get(orgId, integrationId);
      if (row.provider !== providerId) throw notFound();
      return row;
    }
    const rows = await this.db
      .select()
      .from(integrations)
      .where(and(eq(integrations.orgId, orgId), eq(integrations.provider, providerId)))
      .orderBy(desc(integrations.id))
      .limit(2);
    if (rows.length > 1) {
      throw new ApiError(
        ErrorCode.CONFLICT,
        `The organization has several ${providerId} integrations; name one with ?integration_id=`,
      );
    }
    return rows[0] ?? null;
  }

  async connected(orgId: string, limit: number) {
    return this.db
      .select()
      .from(integrations)
      .where(
        and(
          eq(integrations.orgId, orgId),
          eq(integrations.isActive, true),
          isNull(integrations.disconnectedAt),
        ),
      )
      .orderBy(desc(integrations.id))
      .limit(limit);
  }

  /** Decrypted secrets of an integration (for provider calls; never for responses). */
  async secretsOf(row: IntegrationRow): Promise<Record<string, string>> {
    if (!row.secrets || row.keyVersion === null) return {};
    const vault = await this.vault();
    return vault.decrypt(row.orgId, row.id, row.secrets, row.keyVersion);
  }

  private nameTaken(provider: string, name: string) {
    return new ApiError(ErrorCode.CONFLICT, `An integration named "${name}" for ${provider} already exists`, {
      issues: [{ path: "name", message: "already exists" }],
    });
  }

  /**
   * Maps the unique index on (org, provider, name) to a 409 when two writes race: a failed
   * write whose name another integration now holds (read from D1, not the error's text).
   */
  private async uniqueName<T>(
    orgId: string,
    provider: string,
    name: string,
    write: Promise<T>,
    exceptId?: string,
  ): Promise<T> {
    try {
      return await write;
    } catch (e) {
      await this.assertNameFree(orgId, provider, name, exceptId);
      throw e;
    }
  }

  private async assertNameFree(orgId: string, provider: string, name: string, exceptId?: string) {
    const rows = await this.db
      .select({ id: integrations.id })
      .from(integrations)
      .where(
        and(eq(integrations.orgId, orgId), eq(integrations.provider, provider), eq(integrations.name, name)),
      )
      .limit(2);
    if (rows.some((r) => r.id !== exceptId)) throw this.nameTaken(provider, name);
  }

  /** Validates a write and computes the new column values. Throws 400 naming the fields. */
  private async prepare(
    provider: Provider,
    orgId: string,
    id: string,
    input: IntegrationWrite,
    existing: IntegrationRow | null,
  ) {
    const fromConfig = resolveFields(provider, input.config ?? {}, (n) => `config.${n}`);
    const fromValues = resolveFields(provider, input.values ?? {});
    const issues: Issue[] = [...fromConfig.issues, ...fromValues.issues];
    if (input.apiBaseUrl) {
      const check = checkOutboundUrl(input.apiBaseUrl, this.settings.ALLOW_PRIVATE_URLS);
      if (!check.ok) issues.push({ path: "api_base_url", message: check.reason });
    }
    // The URL providers post to (the hub's own, or a relay): any host, but only http(s).
    if (input.webhookUrl) {
      const check = checkOutboundUrl(input.webhookUrl, true);
      if (!check.ok) issues.push({ path: "webhook_url", message: check.reason });
    }
    const hostField = provider.customerHostField;
    const host = hostField ? (fromValues.config[hostField] ?? fromConfig.config[hostField]) : undefined;
    // The sandbox relaxes nothing here: only ALLOW_PRIVATE_URLS allows private hosts.
    if (hostField && typeof host === "string" && host) {
      const check = checkOutboundHost(host, this.settings.ALLOW_PRIVATE_URLS);
      if (!check.ok) issues.push({ path: hostField, message: check.reason });
    }
    if (issues.length) {
      const first = issues[0] as Issue;
      throw new ApiError(ErrorCode.INVALID_FIELD, `${first.path}: ${first.message}`, { issues });
    }
    const config: Record<string, unknown> = { ...(existing?.config ?? {}) };
    for (const [k, v] of Object.entries({ ...fromConfig.config, ...fromValues.config })) {
      if (v === null) delete config[k];
      else config[k] = v;
    }
    const secretChanges: Record<string, string | null> = {};
    // A setting removed whole takes the secrets stored under it (`auth: null` → `auth.password`).
    const removed = [...fromConfig.removed, ...fromValues.removed];
    for (const name of existing?.secretFields ?? [])
      if (removed.some((r) => name.startsWith(`${r}.`))) secretChanges[name] = null;
    Object.assign(secretChanges, fromConfig.secrets, fromValues.secrets);
    // A setting now vaulted is never also kept as plain config (rows written before vaulting).
    for (const k of Object.keys(secretChanges)) delete config[k];
    let secrets = existing?.secrets ?? null;
    let keyVersion = existing?.keyVersion ?? null;
    let secretFields = existing?.secretFields ?? [];
    const changedSecrets = Object.keys(secretChanges);
    if (changedSecrets.length) {
      const current = existing ? await this.secretsOf(existing) : {};
      for (const [k, v] of Object.entries(secretChanges)) {
        if (v === null) delete current[k];
        else current[k] = v;
      }
      secretFields = Object.keys(current).sort();
      if (secretFields.length) {
        const vault = await this.vault();
        const enc = await vault.encrypt(orgId, id, current);
        secrets = enc.ciphertext;
        keyVersion = enc.keyVersion;
      } else {
        secrets = null;
        keyVersion = null;
      }
    }
    const missing = missingFields(provider, config, secretFields);
    return { config, secrets, keyVersion, secretFields, changedSecrets, missing };
  }

  private statusFor(
    input: IntegrationWrite,
    isActive: boolean,
    missing: string[],
    existing: IntegrationRow | null,
    credentialsChanged: boolean,
  ): Status {
    if (input.status) return input.status;
    if (missing.length) return "pending";
    if (existing?.status === "error" && !credentialsChanged && isActive) return "error";
    return isActive ? "active" : "inactive";
  }

  async create(
    orgId: string,
    provider: Provider,
    input: IntegrationWrite & { name: string },
    ctx: WriteContext,
  ) {
    await this.assertNameFree(orgId, provider.id, input.name);
    const id = uuidv7();
    const p = await this.prepare(provider, orgId, id, input, null);
    const isActive = input.isActive ?? true;
    const webhookVerifyToken =
      input.webhookVerifyToken ?? (provider.webhookVerifyToken ? randomToken(29) : null);
    const webhookUrl =
      input.webhookUrl ??
      (provider.capabilities.webhooks
        ? ctx.dialect === "compat" && provider.webhookVerifyToken
          ? `${ctx.publicUrl}/webhook?org_id=${orgId}`
          : `${ctx.publicUrl}/webhooks/${provider.id}/${id}`
        : null);
    const row = {
      id,
      orgId,
      provider: provider.id,
      category: provider.category,
      name: input.name,
      isActive,
      status: this.statusFor(input, isActive, p.missing, null, true),
      config: p.config,
      secrets: p.secrets,
      secretFields: p.secretFields,
      keyVersion: p.keyVersion,
      apiBaseUrl: input.apiBaseUrl ?? null,
      webhookUrl,
      webhookVerifyToken,
      tokenExpiresAt: input.tokenExpiresAt ?? null,
    };
    await this.uniqueName(
      orgId,
      provider.id,
      input.name,
      this.db.batch([
        this.db.insert(integrations).values(row),
        this.activity.logStatement({
          orgId,
          integrationId: id,
          action: "created",
          message: `Integration "${input.name}" (${provider.displayName}) created`,
          details: { status: row.status, vault_fields: p.secretFields, missing_fields: p.missing },
        }),
        this.activity.auditStatement({
          orgId,
          actor: ctx.actor,
          action: "integration.created",
          targetType: "integration",
          targetId: id,
          details: { provider: provider.id, name: input.name, vault_fields: p.secretFields },
        }),
      ]),
    );
    return this.get(orgId, id);
  }

  /**
   * Updates an integration. The write is a compare-and-set on `updated_at` (and, when secrets
   * change, on the ciphertext and key version), so a concurrent update or a key rotation is
   * never overwritten with stale values: the update is recomputed from the fresh row, and a
   * write that keeps losing the race is a 409 with nothing written.
   */
  async update(orgId: string, id: string, input: IntegrationWrite, ctx: WriteContext, action = "updated") {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.get(orgId, id);
      const provider = providerOf(existing);
      if (input.name !== undefined && input.name !== existing.name) {
        await this.assertNameFree(orgId, provider.id, input.name, id);
      }
      const p = await this.prepare(provider, orgId, id, input, existing);
      const isActive = input.isActive ?? existing.isActive;
      const status = this.statusFor(input, isActive, p.missing, existing, p.changedSecrets.length > 0);
      const set: Partial<typeof integrations.$inferInsert> = {
        name: input.name ?? existing.name,
        isActive,
        status,
        config: p.config,
        updatedAt: new Date(Math.max(Date.now(), Date.parse(existing.updatedAt) + 1)).toISOString(),
      };
      const secretsChanged = p.changedSecrets.length > 0;
      if (secretsChanged) {
        set.secrets = p.secrets;
        set.secretFields = p.secretFields;
        set.keyVersion = p.keyVersion;
      }
      if (input.apiBaseUrl !== undefined) set.apiBaseUrl = input.apiBaseUrl;
      if (input.webhookUrl !== undefined) set.webhookUrl = input.webhookUrl;
      if (input.webhookVerifyToken !== undefined) set.webhookVerifyToken = input.webhookVerifyToken;
      if (input.tokenExpiresAt !== undefined) set.tokenExpiresAt = input.tokenExpiresAt;
      if (status === "active" || status === "inactive")
        set.lastError = status === existing.status ? existing.lastError : null;
      if (isActive && existing.disconnectedAt) set.disconnectedAt = null;
      forgetWebhookTarget(id);
      const result = await this.uniqueName(
        orgId,
        provider.id,
        set.name as string,
        this.db
          .update(integrations)
          .set(set)
          .where(
            and(
              eq(integrations.orgId, orgId),
              eq(integrations.id, id),
              eq(integrations.updatedAt, existing.updatedAt),
              secretsChanged
                ? existing.keyVersion === null
                  ? isNull(integrations.keyVersion)
                  : eq(integrations.keyVersion, existing.keyVersion)
                : undefined,
              secretsChanged
                ? existing.secrets === null
                  ? isNull(integrations.secrets)
                  : eq(integrations.secrets, existing.secrets)
                : undefined,
            ),
          )
          .run(),
        id,
      );
      if (result.meta.changes !== 1) continue;
      const statusChanged = status !== existing.status;
      await this.db.batch([
        this.activity.logStatement({
          orgId,
          integrationId: id,
          action,
          message: statusChanged
            ? `Integration ${action}; status ${existing.status} → ${status}`
            : `Integration ${action}`,
          details: {
            changed_vault_fields: p.changedSecrets,
            changed_config: Object.keys({ ...(input.config ?? {}), ...(input.values ?? {}) }).filter(
              (k) => !p.changedSecrets.includes(k),
            ),
            status,
          },
        }),
        this.activity.auditStatement({
          orgId,
          actor: ctx.actor,
          action: `integration.${action}`,
          targetType: "integration",
          targetId: id,
          details: { provider: provider.id, changed_vault_fields: p.changedSecrets, status },
        }),
      ]);
      return this.get(orgId, id);
    }
    throw new ApiError(ErrorCode.CONFLICT, "The integration was changed by another request meanwhile; retry");
  }

  async setActive(orgId: string, id: string, active: boolean, ctx: WriteContext) {
    return this.update(orgId, id, { isActive: active }, ctx, active ? "activated" : "deactivated");
  }

  async delete(orgId: string, id: string, ctx: WriteContext) {
    const existing = await this.get(orgId, id);
    forgetWebhookTarget(id);
    await this.db.batch([
      this.db.delete(integrations).where(and(eq(integrations.orgId, orgId), eq(integrations.id, id))),
      this.activity.logStatement({
        orgId,
        integrationId: id,
        action: "deleted",
        message: `Integration "${existing.name}" deleted`,
      }),
      this.activity.auditStatement({
        orgId,
        actor: ctx.actor,
        action: "integration.deleted",
        targetType: "integration",
        targetId: id,
        details: { provider: existing.provider, name: existing.name },
      }),
    ]);
    return existing;
  }

  /**
   * 004 `connect`: save or overwrite the token and settings of the organization's integration
   * of this provider and activate it (one per organization and provider unless named).
   */
  async connect(
    orgId: string,
    provider: Provider,
    body: { token: string; extra: Record<string, unknown>; name?: string },
    ctx: WriteContext,
    integrationId?: string,
  ) {
    const existing = await this.findByProvider(orgId, provider.id, integrationId);
    const values = { ...body.extra, [provider.tokenField]: body.token };
    const current = existing ? { config: existing.config, secretFields: existing.secretFields } : null;
    // Required settings must all be there after the merge.
    const resolved = resolveFields(provider, values, (n) =>
      n === provider.tokenField ? "token" : `extra.${n}`,
    );
    if (resolved.issues.length) {
      const first = resolved.issues[0] as Issue;
      throw new ApiError(ErrorCode.INVALID_FIELD, `${first.path}: ${first.message}`, {
        issues: resolved.issues,
      });
    }
    const mergedConfig = { ...(current?.config ?? {}), ...resolved.config };
    const secretNames = [...new Set([...(current?.secretFields ?? []), ...Object.keys(resolved.secrets)])];
    const missing = missingFields(provider, mergedConfig, secretNames);
    if (missing.length) {
      throw new ApiError(
        ErrorCode.INVALID_FIELD,
        `extra.${missing[0]}: required for ${provider.displayName}`,
        {
          issues: missing.map((m) => ({ path: `extra.${m}`, message: "required" })),
        },
      );
    }
    const write: IntegrationWrite = { values, isActive: true };
    if (existing) {
      const row = await this.update(orgId, existing.id, { ...write, status: "active" }, ctx, "connected");
      return { row, created: false };
    }
    const row = await this.create(
      orgId,
      provider,
      { ...write, name: body.name ?? provider.displayName },
      ctx,
    );
    return { row, created: true };
  }

  /** Disables the integration and deletes its credentials; history and settings stay. */
  async disconnect(orgId: string, providerId: string, ctx: WriteContext, integrationId?: string) {
    const existing = await this.findByProvider(orgId, providerId, integrationId);
    if (!existing) throw notFound();
    forgetWebhookTarget(existing.id);
    await this.db.batch([
      this.db
        .update(integrations)
        .set({
          isActive: false,
          status: "inactive",
          secrets: null,
          secretFields: [],
          keyVersion: null,
          tokenExpiresAt: null,
          disconnectedAt: new Date().toISOString(),
          updatedAt: new Date().toISOString(),
        })
        .where(and(eq(integrations.orgId, orgId), eq(integrations.id, existing.id))),
      this.activity.logStatement({
        orgId,
        integrationId: existing.id,
        action: "disconnected",
        message: "Integration disconnected; credentials deleted",
      }),
      this.activity.auditStatement({
        orgId,
        actor: ctx.actor,
        action: "integration.disconnected",
        targetType: "integration",
        targetId: existing.id,
        details: { provider: providerId, wiped_vault_fields: existing.secretFields },
      }),
    ]);
    return this.get(orgId, existing.id);
  }

  async stats(orgId: string) {
    const rows = await this.db
      .select({ category: integrations.category, status: integrations.status, n: count() })
      .from(integrations)
      .where(eq(integrations.orgId, orgId))
      .groupBy(integrations.category, integrations.status);
    const byType: Record<string, number> = {};
    const byStatus: Record<string, number> = { active: 0, inactive: 0, error: 0, pending: 0 };
    let total = 0;
    for (const r of rows) {
      byType[r.category] = (byType[r.category] ?? 0) + r.n;
      byStatus[r.status] = (byStatus[r.status] ?? 0) + r.n;
      total += r.n;
    }
    const [errs] = await this.db
      .select({ n: count(), failing: sql<number>`coalesce(sum(${integrations.errorCount} > 0), 0)` })
      .from(integrations)
      .where(eq(integrations.orgId, orgId));
    return {
      total,
      by_type: byType,
      by_status: byStatus,
      error_rate: total ? (byStatus.error ?? 0) / total : 0,
      with_recent_errors: errs?.failing ?? 0,
    };
  }
}
