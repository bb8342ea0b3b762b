/**
 * Calls to providers on behalf of an integration: builds the provider context (base URL,
 * settings, decrypted secrets, HTTP client) and runs "test connection", recording the outcome
 * on the integration and in its log.
 */

import { and, eq, sql } from "drizzle-orm";
import type { Settings } from "../config.ts";
import { batchAcross } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import { type IntegrationRow, integrations } from "../db/schema.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { checkOutboundHost, checkOutboundUrl, type SocketOpener } from "../lib/outbound.ts";
import { redactText, redactTokens, secretValues } from "../lib/redact.ts";
import { providerBaseUrl } from "../providers/base-url.ts";
import { type HttpClient, type ProviderContext, ProviderError } from "../providers/runtime.ts";
import type { Activity } from "./activity.ts";
import type { Events } from "./events.ts";
import { missingFields } from "./fields.ts";
import { forgetIntegration } from "./integration-cache.ts";
import { type Integrations, providerOf } from "./integrations.ts";
import type { Pacer } from "./pacing.ts";
import { hitRateLimit } from "./rate-limit.ts";
import { refreshable, type Tokens } from "./tokens.ts";
import { webhookCheck } from "./webhook-check.ts";

/** Test connection: at most this many calls per integration per minute. */
export const TEST_RATE_LIMIT = { limit: 5, windowSeconds: 60 };

export interface TestOutcome {
  ok: boolean;
  message: string;
  details?: Record<string, unknown>;
}

export class Connections {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly integrations: Integrations,
    private readonly events: Events,
    private readonly settings: Settings,
    private readonly http: HttpClient,
    private readonly tokens?: Tokens,
    private readonly pacer?: Pacer,
    /** The guarded socket opener (SMTP). */
    private readonly connect?: SocketOpener,
  ) {}

  /** The context a provider call for this integration runs with (OAuth tokens refreshed when due). */
  async contextFor(stored: IntegrationRow): Promise<ProviderContext> {
    return (await this.build(stored)).ctx;
  }

  /**
   * The context after the provider said the access token's session ended (`sessionExpired`):
   * the token is refreshed now (under the one refresh lease) and the context built again, with
   * the API base the new token response named. A refresh that fails throws.
   */
  async renewedContext(row: IntegrationRow): Promise<ProviderContext> {
    if (!this.tokens) throw new ProviderError("permanent", "tokens cannot be refreshed here");
    // Refreshed by another call since this one read the row: use that token.
    const current = await this.integrations.get(row.orgId, row.id);
    if (current.secrets !== row.secrets) return (await this.build(current)).ctx;
    const fresh = await this.tokens.renew(current);
    return (await this.build(fresh.row, fresh)).ctx;
  }

  /** The context and the row it was built from (after any refresh). */
  private async build(
    stored: IntegrationRow,
    given?: { row: IntegrationRow; secrets: Record<string, string> },
  ): Promise<{ ctx: ProviderContext; row: IntegrationRow }> {
    const fresh = given ?? (this.tokens ? await this.tokens.fresh(stored) : undefined);
    const row = fresh?.row ?? stored;
    const provider = providerOf(row);
    const baseUrl = providerBaseUrl(provider, this.settings, row.apiBaseUrl, row.config);
    // Early, readable refusals of tenant-given destinations (the sandbox relaxes nothing); the
    // outbound path checks every request again where the connection is made.
    if (provider.customerBaseUrl && row.apiBaseUrl) {
      const check = checkOutboundUrl(row.apiBaseUrl, this.settings.ALLOW_PRIVATE_URLS);
      if (!check.ok) throw new ProviderError("permanent", `the API base URL ${check.reason}`);
    }
    const host = provider.customerHostField ? row.config[provider.customerHostField] : undefined;
    if (typeof host === "string" && host) {
      const check = checkOutboundHost(host, this.settings.ALLOW_PRIVATE_URLS);
      if (!check.ok) throw new ProviderError("permanent", `the host ${check.reason}`);
    }
    const pacer = this.pacer;
    const ctx: ProviderContext = {
      baseUrl,
      config: row.config,
      secrets: fresh?.secrets ?? (await this.integrations.secretsOf(row)),
      http: this.http,
      // One budget per integration: the provider account it connects.
      pace: pacer && (() => pacer.admit(`${provider.id}:${row.id}`, provider.rateLimits)),
      ...(this.connect ? { connect: this.connect } : {}),
      timeoutMs: this.settings.PROVIDER_TIMEOUT_MS,
      ...(provider.capabilities.webhooks && this.settings.PUBLIC_URL
        ? { webhookUrl: `${this.settings.PUBLIC_URL.replace(/\/+$/, "")}/webhooks/${provider.id}/${row.id}` }
        : {}),
      ...(row.webhookVerifyToken ? { webhookVerifyToken: row.webhookVerifyToken } : {}),
    };
    // The integration's own API base (Salesforce's instance URL), where the provider names one.
    if (provider.apiBaseUrl) ctx.baseUrl = provider.apiBaseUrl(ctx);
    return { ctx, row };
  }

  /** Whether a failed call means the session ended and a refreshed token may succeed. */
  private sessionEnded(row: IntegrationRow, e: unknown): e is ProviderError {
    const provider = providerOf(row);
    return (
      e instanceof ProviderError &&
      e.kind === "auth" &&
      Boolean(this.tokens && refreshable(provider) && row.secretFields.includes("refresh_token")) &&
      Boolean(provider.sessionExpired?.({ status: e.opts.status, code: e.opts.code }))
    );
  }

  /**
   * Runs a provider call for an integration: builds its context, then calls `fn` with it. When
   * the provider says the access token's session ended (`sessionExpired`), the token is
   * refreshed and `fn` runs once more; refused again, it fails with that said. A ProviderError
   * leaves with every secret value of the integration (in its usual encodings) and credential
   * shapes removed from its message, so whatever stores or emits it (last_error, logs, events,
   * message and sync errors, test outcomes) never carries a credential.
   */
  async run<T>(row: IntegrationRow, fn: (ctx: ProviderContext) => Promise<T>): Promise<T> {
    let ctx: ProviderContext | undefined;
    try {
      const built = await this.build(row);
      ctx = built.ctx;
      try {
        return await fn(ctx);
      } catch (e) {
        if (!this.sessionEnded(built.row, e)) throw e;
        try {
          ctx = await this.renewedContext(built.row);
        } catch (refresh) {
          const why = refresh instanceof Error ? refresh.message : String(refresh);
          throw new ProviderError("auth", `${e.message}; refreshing the session failed: ${why}`, e.opts);
        }
        try {
          return await fn(ctx);
        } catch (again) {
          if (!this.sessionEnded(built.row, again)) throw again;
          throw new ProviderError(
            "auth",
            `${again.message}, again with the token refreshed just now; connect the integration again`,
            again.opts,
          );
        }
      }
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      const secrets = ctx?.secrets ?? (await this.integrations.secretsOf(row).catch(() => ({})));
      const message = redactText(e.message, secretValues(secrets));
      if (message === e.message) throw e;
      const redacted = new ProviderError(e.kind, message, e.opts);
      redacted.stack = undefined;
      throw redacted;
    }
  }

  /** Runs the provider's cheapest authenticated call and records the outcome. */
  async test(
    orgId: string,
    id: string,
    actor: string,
  ): Promise<{ outcome: TestOutcome; row: IntegrationRow }> {
    const row = await this.integrations.get(orgId, id);
    const provider = providerOf(row);
    const testCall = provider.test;
    if (!testCall) {
      throw new ApiError(ErrorCode.BAD_REQUEST, `${provider.displayName} has no connection to test`);
    }
    await hitRateLimit(this.db, `test:${row.id}`, TEST_RATE_LIMIT);
    let outcome: TestOutcome;
    const missing = missingFields(provider, row.config, row.secretFields);
    if (missing.length) {
      outcome = { ok: false, message: `Not configured: ${missing.join(", ")} missing` };
    } else {
      try {
        const r = await this.run(row, async (ctx) => {
          const result = await testCall(ctx);
          const webhook = await webhookCheck(provider, ctx);
          return webhook ? { ...result, details: { ...result.details, webhook } } : result;
        });
        outcome = { ok: true, message: r.message, details: r.details };
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        outcome = { ok: false, message: e.message, details: { kind: e.kind } };
      }
    }
    // What the provider said is shown and stored; credential shapes in it are not.
    outcome = { ...outcome, message: redactTokens(outcome.message) };
    await this.record(row, outcome, actor);
    return { outcome, row: await this.integrations.get(orgId, id) };
  }

  private async record(row: IntegrationRow, outcome: TestOutcome, actor: string) {
    const now = new Date().toISOString();
    const set = outcome.ok
      ? {
          status: row.isActive ? ("active" as const) : ("inactive" as const),
          lastError: null,
          errorCount: 0,
          lastTestedAt: now,
          updatedAt: now,
        }
      : {
          status: "error" as const,
          lastError: outcome.message,
          errorCount: sql`${integrations.errorCount} + 1`,
          lastTestedAt: now,
          updatedAt: now,
        };
    await batchAcross(this.db, [
      this.db
        .update(integrations)
        .set(set)
        .where(and(eq(integrations.orgId, row.orgId), eq(integrations.id, row.id))),
      this.activity.logStatement({
        orgId: row.orgId,
        integrationId: row.id,
        level: outcome.ok ? "info" : "error",
        action: "test",
        message: outcome.ok
          ? `Test connection succeeded: ${outcome.message}`
          : `Test connection failed: ${outcome.message}`,
        details: { ok: outcome.ok, actor },
      }),
    ]);
    forgetIntegration(row.id);
    if (!outcome.ok) await this.emitError(row, outcome.message, "test");
  }

  /** Tells the host app an integration went into error (`integration.error`). */
  private emitError(row: IntegrationRow, message: string, action: string) {
    return this.events.emit(row.orgId, "integration.error", {
      integration_id: row.id,
      provider: row.provider,
      name: row.name,
      status: "error",
      error: redactTokens(message),
      action,
    });
  }

  /** Marks an integration `error` after a provider refused its credentials (sends, syncs). */
  async markError(row: IntegrationRow, reason: string, action: string) {
    const message = redactTokens(reason);
    await batchAcross(this.db, [
      this.db
        .update(integrations)
        .set({
          status: "error",
          lastError: message,
          errorCount: sql`${integrations.errorCount} + 1`,
          updatedAt: new Date().toISOString(),
        })
        .where(and(eq(integrations.orgId, row.orgId), eq(integrations.id, row.id))),
      this.activity.logStatement({
        orgId: row.orgId,
        integrationId: row.id,
        level: "error",
        action,
        message,
      }),
    ]);
    forgetIntegration(row.id);
    await this.emitError(row, message, action);
  }
}
