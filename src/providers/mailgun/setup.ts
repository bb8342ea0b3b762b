/**
 * The sending domain's webhooks (v3 domain webhooks API): `GET /v3/domains/{domain}/webhooks`
 * lists the URLs of each event; registering adds the hub's URL to `delivered`, `permanent_fail`,
 * `temporary_fail` and `complained` (`POST` for an event that has none, `PUT` keeping up to two
 * URLs already there: Mailgun takes three per event), then, when the integration has no
 * webhook signing key, reads the account's (`GET /v5/accounts/http_signing_key`) so deliveries
 * can be verified.
 */
import {
  basicAuth,
  errorFrom,
  field,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  request,
  secret,
  setting,
} from "../runtime.ts";
import type { WebhookSetup } from "../types.ts";
import { EU_BASE_URL, US_BASE_URL } from "./client.ts";

/** The events whose webhooks move messages (webhook.ts). */
const EVENTS = ["delivered", "permanent_fail", "temporary_fail", "complained"] as const;

/** The EU host for an `eu` integration while the base URL is still the US default. */
function regional(ctx: ProviderContext): ProviderContext {
  const isDefault = ctx.baseUrl.replace(/\/+$/, "") === US_BASE_URL;
  return isDefault && ctx.config.region === "eu" ? { ...ctx, baseUrl: EU_BASE_URL } : ctx;
}

const auth = (ctx: ProviderContext) => ({ authorization: basicAuth("api", secret(ctx, "api_key")) });
const hooksPath = (ctx: ProviderContext) =>
  `/v3/domains/${encodeURIComponent(setting(ctx, "domain"))}/webhooks`;

function failure(res: ProviderResponse): ProviderError {
  const message = field(res.data, "message");
  const reason = typeof message === "string" ? message : res.text.trim().slice(0, 200) || "unexpected answer";
  return errorFrom(res, `Mailgun: ${reason}`, res.status === 401 ? "auth" : undefined);
}

/** Each event's URLs. */
async function webhooks(ctx: ProviderContext): Promise<Record<string, string[]>> {
  const res = await request(ctx, { path: hooksPath(ctx), headers: auth(ctx) });
  if (res.status !== 200) throw failure(res);
  const all = field(res.data, "webhooks");
  const out: Record<string, string[]> = {};
  if (all && typeof all === "object")
    for (const [event, hook] of Object.entries(all)) {
      const urls = field(hook, "urls");
      out[event] = Array.isArray(urls) ? urls.filter((u): u is string => typeof u === "string") : [];
    }
  return out;
}

export const webhookSetup: WebhookSetup = {
  async check(ctx) {
    const c = regional(ctx);
    const hooks = await webhooks(c);
    const events = Object.fromEntries(EVENTS.map((e) => [e, (hooks[e] ?? []).includes(c.webhookUrl ?? "")]));
    return {
      pointsHere: c.webhookUrl !== undefined && EVENTS.every((e) => events[e]),
      // The hub's URL when it is among them, else the first.
      currentUrl: events.delivered ? (c.webhookUrl ?? null) : (hooks.delivered?.[0] ?? null),
      details: { events },
    };
  },

  async register(ctx) {
    const c = regional(ctx);
    const url = c.webhookUrl;
    if (!url) throw new ProviderError("permanent", "the hub has no webhook URL for this integration");
    const hooks = await webhooks(c);
    for (const event of EVENTS) {
      const existing = hooks[event];
      if (existing?.includes(url)) continue;
      const res = existing
        ? await request(c, {
            method: "PUT",
            path: `${hooksPath(c)}/${event}`,
            headers: auth(c),
            form: { url: [...existing.slice(0, 2), url] },
          })
        : await request(c, {
            method: "POST",
            path: hooksPath(c),
            headers: auth(c),
            form: { id: event, url },
          });
      if (res.status !== 200) throw failure(res);
    }
    const values: Record<string, string> = {};
    if (!c.secrets.webhook_signing_key) {
      const res = await request(c, { path: "/v5/accounts/http_signing_key", headers: auth(c) });
      const key = field(res.data, "http_signing_key");
      if (res.status === 200 && typeof key === "string" && key) values.webhook_signing_key = key;
    }
    return {
      message: `Mailgun: ${EVENTS.join(", ")} webhooks of ${setting(c, "domain")} go to the hub`,
      ...(Object.keys(values).length ? { values } : {}),
    };
  },
};
