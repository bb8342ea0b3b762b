/**
 * Where a provider sends an integration's webhooks, for providers configured per account through
 * their API (the `webhookSetup` hook): the check test connection reports, and the registration
 * that points them at the hub's URL for the integration (`POST /api/integrations/{id}/webhooks/register`).
 */
import type { Settings } from "../config.ts";
import { batchAcross } from "../db/batch.ts";
import type { Db } from "../db/client.ts";
import type { IntegrationRow } from "../db/schema.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import { redactTokens } from "../lib/redact.ts";
import { type ProviderContext, ProviderError } from "../providers/runtime.ts";
import type { Provider, WebhookRegistration } from "../providers/types.ts";
import type { Activity } from "./activity.ts";
import type { Connections } from "./connections.ts";
import { missingFields } from "./fields.ts";
import { type Integrations, providerOf } from "./integrations.ts";
import { hitRateLimit } from "./rate-limit.ts";
import { type WebhookCheckView, webhookCheck } from "./webhook-check.ts";

/** Registrations: at most this many per integration per minute. */
export const REGISTER_RATE_LIMIT = { limit: 5, windowSeconds: 60 };

export interface RegisterOutcome {
  ok: boolean;
  message: string;
  /** The check after the registration (when it succeeded). */
  webhook?: WebhookCheckView;
}

/** The context with the registration's values applied, as the stored integration will have them. */
function withValues(
  provider: Provider,
  ctx: ProviderContext,
  values: Record<string, string>,
): ProviderContext {
  const secret = new Set(provider.fields.filter((f) => f.secret).map((f) => f.name));
  const config = { ...ctx.config };
  const secrets = { ...ctx.secrets };
  for (const [k, v] of Object.entries(values)) {
    if (secret.has(k)) secrets[k] = v;
    else config[k] = v;
  }
  return { ...ctx, config, secrets };
}

export class WebhookSetups {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly integrations: Integrations,
    private readonly connections: Connections,
    private readonly settings: Settings,
  ) {}

  /** Points the provider's webhooks for this integration at the hub; records the outcome in its log. */
  async register(
    orgId: string,
    id: string,
    actor: string,
  ): Promise<{ outcome: RegisterOutcome; row: IntegrationRow }> {
    const row = await this.integrations.get(orgId, id);
    const provider = providerOf(row);
    const register = provider.webhookSetup?.register;
    if (!register)
      throw new ApiError(
        ErrorCode.BAD_REQUEST,
        `${provider.displayName} webhooks cannot be registered through its API; give the provider the integration's webhook_url`,
      );
    if (!this.settings.PUBLIC_URL)
      throw new ApiError(
        ErrorCode.CONFLICT,
        "The hub has no PUBLIC_URL, so it has no webhook URL to register; set PUBLIC_URL",
      );
    const missing = missingFields(provider, row.config, row.secretFields);
    if (missing.length)
      throw new ApiError(ErrorCode.CONFLICT, `Not configured: ${missing.join(", ")} missing`, {
        issues: missing.map((path) => ({ path, message: "required" })),
      });
    await hitRateLimit(this.db, `webhooks:${row.id}`, REGISTER_RATE_LIMIT);

    let outcome: RegisterOutcome;
    let values: Record<string, string> = {};
    try {
      const done = await this.connections.run(row, async (ctx) => {
        const registration: WebhookRegistration = await register(ctx);
        const webhook = await webhookCheck(provider, withValues(provider, ctx, registration.values ?? {}));
        return { registration, webhook };
      });
      values = done.registration.values ?? {};
      outcome = {
        ok: true,
        message: redactTokens(done.registration.message),
        ...(done.webhook ? { webhook: done.webhook } : {}),
      };
    } catch (e) {
      if (!(e instanceof ProviderError)) throw e;
      outcome = { ok: false, message: redactTokens(e.message) };
    }
    if (Object.keys(values).length)
      await this.integrations.update(
        orgId,
        id,
        { values },
        { actor, publicUrl: this.settings.PUBLIC_URL, dialect: "rest" },
      );
    const url = `${this.settings.PUBLIC_URL.replace(/\/+$/, "")}/webhooks/${provider.id}/${row.id}`;
    await batchAcross(this.db, [
      this.activity.auditStatement({
        orgId,
        actor,
        action: "integration.webhooks_registered",
        targetType: "integration",
        targetId: row.id,
        details: { provider: provider.id, ok: outcome.ok, url },
      }),
      this.activity.logStatement({
        orgId,
        integrationId: row.id,
        level: outcome.ok ? "info" : "error",
        action: "webhooks.register",
        message: outcome.ok
          ? `Webhooks registered: ${outcome.message}`
          : `Webhook registration failed: ${outcome.message}`,
        details: { ok: outcome.ok, actor, url, saved_fields: Object.keys(values) },
      }),
    ]);
    return { outcome, row: await this.integrations.get(orgId, id) };
  }
}
