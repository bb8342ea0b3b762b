/**
 * Deployment settings, parsed from the Worker's env once per isolate with zod. Secrets
 * (`ADMIN_TOKEN`, `ENCRYPTION_KEYS`) are checked where they are used, so a missing one fails
 * the requests that need it with a clear error and nothing else.
 */
import { z } from "zod";

declare global {
  interface Env {
    /** Operator bootstrap token (Worker secret). */
    ADMIN_TOKEN?: string;
    /** The vault's key ring, `id:base64key,...` (Worker secret). */
    ENCRYPTION_KEYS?: string;
    /** Public origin of this deployment, used in generated webhook URLs. */
    PUBLIC_URL?: string;
    /** JSON object of provider id → base URL overrides. */
    PROVIDER_BASE_URLS?: string;
    /**
     * A Meta app's secret for the whole deployment (Worker secret): verifies Meta webhooks for
     * integrations that have no app secret of their own.
     */
    META_APP_SECRET?: string;
    /**
     * The deployment's OAuth apps (Worker secret), JSON: provider id → {client_id, client_secret}.
     * An integration without its own app connects through these.
     */
    OAUTH_APPS?: string;
    /** Comma-separated origins an OAuth flow may return the browser to (besides PUBLIC_URL's). */
    OAUTH_RETURN_ORIGINS?: string;
    /** Days of history kept (integration logs, webhook events, events); default 30. */
    RETENTION_DAYS?: string;
    /** Which requests get an access log line: `errors` (default: 4xx, 5xx and slow ones) or `all`. */
    LOG_REQUESTS?: string;
    /** When set, every provider's base URL is `${PROVIDER_BASE_URL_ALL}/${provider id}`. */
    PROVIDER_BASE_URL_ALL?: string;
    /**
     * A workerd network service allowing only public addresses (`network = (allow = ["public"])`):
     * when bound, every request made for a tenant connects through it (src/lib/outbound.ts).
     */
    OUTBOUND?: Fetcher;
  }
}

const bool = z
  .enum(["true", "false", "1", "0", ""])
  .optional()
  .transform((v) => v === "true" || v === "1");

const SettingsSchema = z.object({
  ALLOW_PRIVATE_URLS: bool,
  SANDBOX_ENABLED: bool,
  PUBLIC_URL: z
    .url()
    .optional()
    .or(z.literal("").transform(() => undefined)),
  PROVIDER_BASE_URLS: z
    .string()
    .optional()
    .transform((s, ctx) => {
      if (!s) return {};
      try {
        return z.record(z.string(), z.url()).parse(JSON.parse(s));
      } catch {
        ctx.addIssue({ code: "custom", message: "PROVIDER_BASE_URLS must be a JSON object of id → URL" });
        return z.NEVER;
      }
    }),
  PROVIDER_BASE_URL_ALL: z
    .url()
    .optional()
    .or(z.literal("").transform(() => undefined)),
  /** Timeout of one provider call, in milliseconds. */
  PROVIDER_TIMEOUT_MS: z.coerce.number().int().min(50).max(120_000).default(10_000),
  /**
   * Days that integration logs, webhook events, events and their deliveries are kept
   * (src/services/retention.ts). At least one day: provider retries and body deduplication
   * look back 24 hours.
   */
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /**
   * Which requests the hub writes an access line for: `errors` (those answered 4xx or 5xx, and
   * those slower than a second) or `all`. Workers' own invocation logs record every request.
   */
  LOG_REQUESTS: z.enum(["errors", "all"]).default("errors"),
});

export type Settings = z.output<typeof SettingsSchema> & {
  /** Where the provider simulator answers when SANDBOX_ENABLED (every provider goes there). */
  sandboxBase?: string;
};

const cache = new WeakMap<object, Settings>();

export function getSettings(env: Env): Settings {
  let s = cache.get(env);
  if (!s) {
    const parsed = SettingsSchema.parse(env);
    s = {
      ...parsed,
      sandboxBase: parsed.SANDBOX_ENABLED
        ? `${(parsed.PUBLIC_URL ?? "http://127.0.0.1:8787").replace(/\/+$/, "")}/sandbox`
        : undefined,
    };
    cache.set(env, s);
  }
  return s;
}
