/**
 * 004's per-provider connection: `connect` saves or overwrites a provider's token and settings
 * and activates the integration; `disconnect` disables it and deletes its credentials.
 */

import { and, eq } from "drizzle-orm";
import { batchAcross } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import { integrations } from "../../db/schema.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import type { Provider } from "../../providers/types.ts";
import type { Activity } from "../activity.ts";
import { missingFields, resolveFields } from "../fields.ts";
import { forgetIntegration } from "../integration-cache.ts";
import type { IntegrationReads } from "./reads.ts";
import { type IntegrationsDeps, type IntegrationWrite, invalidFields, type WriteContext } from "./shared.ts";
import type { IntegrationWrites } from "./writes.ts";

export class IntegrationConnect {
  private readonly db: Db;
  private readonly activity: Activity;

  constructor(
    deps: IntegrationsDeps,
    private readonly reads: IntegrationReads,
    private readonly writes: IntegrationWrites,
  ) {
    this.db = deps.db;
    this.activity = deps.activity;
  }

  /**
   * 004 `connect`: save or overwrite the token and settings of the organization's integration
   * of this provider and activate it (one per organization and provider unless named). A
   * provider without a token field is a 400.
   */
  async connect(
    orgId: string,
    provider: Provider,
    body: { token: string; extra: Record<string, unknown>; name?: string },
    ctx: WriteContext,
    integrationId?: string,
  ) {
    if (!provider.tokenField) {
      throw new ApiError(ErrorCode.BAD_REQUEST, `${provider.displayName} has no token to connect with`);
    }
    const existing = await this.reads.findByProvider(orgId, provider.id, integrationId);
    const values = { ...body.extra, [provider.tokenField]: body.token };
    const current = existing ? { config: existing.config, secretFields: existing.secretFields } : null;
    // Required settings must all be there after the merge.
    const resolved = resolveFields(provider, values, (n) =>
      n === provider.tokenField ? "token" : `extra.${n}`,
    );
    if (resolved.issues.length) throw invalidFields(resolved.issues);
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
      const row = await this.writes.update(
        orgId,
        existing.id,
        { ...write, status: "active" },
        ctx,
        "connected",
      );
      return { row, created: false };
    }
    const row = await this.writes.create(
      orgId,
      provider,
      { ...write, name: body.name ?? provider.displayName },
      ctx,
    );
    return { row, created: true };
  }

  /** Disables the integration and deletes its credentials; history and settings stay. */
  async disconnect(orgId: string, providerId: string, ctx: WriteContext, integrationId?: string) {
    const existing = await this.reads.findByProvider(orgId, providerId, integrationId);
    if (!existing) throw notFound();
    forgetIntegration(existing.id);
    await batchAcross(this.db, [
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
    forgetIntegration(existing.id);
    return this.reads.get(orgId, existing.id);
  }
}
