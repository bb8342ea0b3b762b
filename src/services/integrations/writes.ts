/**
 * Writing integrations: create, update (compare-and-set), configure, activate and delete. Each
 * write is one D1 batch with its audit record and integration log entry (the log entry in a
 * batch of its own after it where the organization's logs live in a shard, src/db/shards.ts),
 * and names are unique per organization and provider.
 */

import { and, eq, isNull } from "drizzle-orm";
import { batchAcross } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, integrations } from "../../db/schema.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import { randomToken, uuidv7 } from "../../lib/ids.ts";
import type { Provider } from "../../providers/types.ts";
import type { Activity } from "../activity.ts";
import { forgetIntegration } from "../integration-cache.ts";
import { prepareWrite, statusFor } from "./prepare.ts";
import type { IntegrationReads } from "./reads.ts";
import {
  categoryOf,
  type IntegrationsDeps,
  type IntegrationWrite,
  providerOf,
  type WriteContext,
  type WriteOf,
} from "./shared.ts";

export class IntegrationWrites {
  private readonly db: Db;
  private readonly activity: Activity;

  constructor(
    private readonly deps: IntegrationsDeps,
    private readonly reads: IntegrationReads,
  ) {
    this.db = deps.db;
    this.activity = deps.activity;
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

  private prepare(
    provider: Provider,
    orgId: string,
    id: string,
    input: IntegrationWrite,
    existing: IntegrationRow | null,
  ) {
    return prepareWrite(this.deps, this.reads, provider, orgId, id, input, existing);
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
      status: statusFor(input, isActive, p.missing, null, true),
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
      batchAcross(this.db, [
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
    forgetIntegration(id);
    return this.reads.get(orgId, id);
  }

  /**
   * Updates an integration. The write is a compare-and-set on `updated_at` (and, when secrets
   * change, on the ciphertext and key version), so a concurrent update or a key rotation is
   * never overwritten with stale values: the update is recomputed from the fresh row, and a
   * write that keeps losing the race is a 409 with nothing written.
   */
  async update(orgId: string, id: string, write: WriteOf, ctx: WriteContext, action = "updated") {
    let input: IntegrationWrite | undefined;
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.reads.get(orgId, id);
      const provider = providerOf(existing);
      input ??= typeof write === "function" ? write(provider) : write;
      if (input.name !== undefined && input.name !== existing.name) {
        await this.assertNameFree(orgId, provider.id, input.name, id);
      }
      const p = await this.prepare(provider, orgId, id, input, existing);
      const isActive = input.isActive ?? existing.isActive;
      const status = statusFor(input, isActive, p.missing, existing, p.changedSecrets.length > 0);
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
      // The error stays with the integration while it is switched off; new credentials clear it.
      if (secretsChanged && status !== "error") {
        set.lastError = null;
        set.errorCount = 0;
      } else if (status === "active") set.lastError = status === existing.status ? existing.lastError : null;
      if (isActive && existing.disconnectedAt) set.disconnectedAt = null;
      forgetIntegration(id);
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
      forgetIntegration(id);
      if (result.meta.changes !== 1) continue;
      const statusChanged = status !== existing.status;
      await batchAcross(this.db, [
        this.activity.auditStatement({
          orgId,
          actor: ctx.actor,
          action: `integration.${action}`,
          targetType: "integration",
          targetId: id,
          details: { provider: provider.id, changed_vault_fields: p.changedSecrets, status },
        }),
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
      ]);
      return this.reads.get(orgId, id);
    }
    throw new ApiError(ErrorCode.CONFLICT, "The integration was changed by another request meanwhile; retry");
  }

  /**
   * 002 `configure/{type}`: updates the integration with its type's fields. The type (a
   * category or an alias) must be the integration's, and a provider named in the body its own.
   */
  async configure(
    orgId: string,
    id: string,
    named: { type: string; provider?: string },
    write: (provider: Provider) => IntegrationWrite,
    ctx: WriteContext,
  ) {
    const provider = providerOf(await this.reads.get(orgId, id));
    const category = categoryOf(named.type);
    if (!category) {
      throw new ApiError(ErrorCode.INVALID_FIELD, `type: unknown integration type "${named.type}"`, {
        issues: [{ path: "type", message: "unknown type" }],
      });
    }
    if (category !== provider.category) {
      throw new ApiError(
        ErrorCode.INVALID_FIELD,
        `type: this integration is of type ${provider.category}, not ${category}`,
        {
          issues: [{ path: "type", message: `expected ${provider.category}` }],
        },
      );
    }
    if (named.provider && named.provider !== provider.id) {
      throw new ApiError(
        ErrorCode.INVALID_FIELD,
        `provider: this integration uses ${provider.id}; create a new integration to use ${named.provider}`,
        { issues: [{ path: "provider", message: `expected ${provider.id}` }] },
      );
    }
    return this.update(orgId, id, write(provider), ctx, "configured");
  }

  async setActive(orgId: string, id: string, active: boolean, ctx: WriteContext) {
    return this.update(orgId, id, { isActive: active }, ctx, active ? "activated" : "deactivated");
  }

  async delete(orgId: string, id: string, ctx: WriteContext) {
    const existing = await this.reads.get(orgId, id);
    forgetIntegration(id);
    await batchAcross(this.db, [
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
    forgetIntegration(id);
    return existing;
  }
}
