/**
 * The account's Event Webhooks (the multiple-webhooks API): `GET
 * /v3/user/webhooks/event/settings/all` lists them; registering creates one for the hub's URL
 * (`POST /v3/user/webhooks/event/settings`, or `PATCH .../settings/{id}` when one for it exists)
 * with the events that move messages, then turns on its signature
 * (`PATCH .../settings/signed/{id}`) and keeps the public key it answers as `webhook_public_key`.
 */
import { field, ProviderError, request } from "../runtime.ts";
import type { WebhookSetup } from "../types.ts";
import { failure, headers } from "./client.ts";

const BASE = "/v3/user/webhooks/event/settings";

/** The events the hub acts on (webhook.ts), switched on; the rest left off. */
const EVENTS = {
  processed: true,
  delivered: true,
  deferred: true,
  bounce: true,
  dropped: true,
  spam_report: true,
  open: true,
  click: true,
};

interface Hook {
  id: string;
  url: string;
  enabled: boolean;
  signed: boolean;
}

async function webhooks(ctx: Parameters<WebhookSetup["check"]>[0]) {
  const res = await request(ctx, { path: `${BASE}/all`, headers: headers(ctx) });
  if (res.status !== 200) throw failure(res);
  const list = field(res.data, "webhooks");
  const hooks: Hook[] = (Array.isArray(list) ? list : []).map((w) => ({
    id: String(field(w, "id") ?? ""),
    url: String(field(w, "url") ?? ""),
    enabled: field(w, "enabled") === true,
    signed: typeof field(w, "public_key") === "string" && field(w, "public_key") !== "",
  }));
  return { hooks, maxAllowed: field(res.data, "max_allowed") };
}

export const webhookSetup: WebhookSetup = {
  async check(ctx) {
    const { hooks, maxAllowed } = await webhooks(ctx);
    const ours = hooks.find((h) => h.url === ctx.webhookUrl);
    return {
      pointsHere: ours?.enabled === true,
      currentUrl: ours?.url ?? hooks.find((h) => h.enabled)?.url ?? null,
      details: { signed: ours?.signed ?? false, webhooks: hooks.length, max_allowed: maxAllowed },
    };
  },

  async register(ctx) {
    const url = ctx.webhookUrl;
    if (!url) throw new ProviderError("permanent", "the hub has no webhook URL for this integration");
    const { hooks } = await webhooks(ctx);
    const ours = hooks.find((h) => h.url === url);
    const body = { enabled: true, url, friendly_name: "Switchboard", ...EVENTS };
    const saved = ours
      ? await request(ctx, {
          method: "PATCH",
          path: `${BASE}/${encodeURIComponent(ours.id)}`,
          headers: headers(ctx),
          json: body,
        })
      : await request(ctx, { method: "POST", path: BASE, headers: headers(ctx), json: body });
    if (saved.status !== 200 && saved.status !== 201) throw failure(saved);
    const id = field(saved.data, "id");
    if (typeof id !== "string" || !id)
      throw new ProviderError("permanent", "SendGrid: the webhook answer has no id");
    const signed = await request(ctx, {
      method: "PATCH",
      path: `${BASE}/signed/${encodeURIComponent(id)}`,
      headers: headers(ctx),
      json: { enabled: true },
    });
    if (signed.status !== 200) throw failure(signed);
    const publicKey = field(signed.data, "public_key");
    if (typeof publicKey !== "string" || !publicKey)
      throw new ProviderError("permanent", "SendGrid: enabling the signature gave no public key");
    return {
      message: `SendGrid: the Event Webhook ${ours ? "updated" : "created"} for the hub, signed`,
      values: { webhook_public_key: publicKey },
    };
  },
};
