/**
 * Where the WhatsApp Business Account's webhooks go: `GET /{WABA-ID}/subscribed_apps` lists the
 * apps subscribed to it, each with its `override_callback_uri` when one is set;
 * `POST /{WABA-ID}/subscribed_apps` with `override_callback_uri` and `verify_token` subscribes
 * the token's app and sends this account's webhooks to the hub's URL (Meta checks the URL with
 * the verify token first, which the hub answers). Without an override the app's own callback
 * (App dashboard) is used, which the Graph API does not show here.
 */
import { graph, node } from "../facebook/graph.ts";
import { field, ProviderError, setting } from "../runtime.ts";
import type { WebhookSetup } from "../types.ts";

const path = (wabaId: string) => `${node(wabaId)}/subscribed_apps`;

export const webhookSetup: WebhookSetup = {
  async check(ctx) {
    const res = await graph(ctx, "WhatsApp", { path: path(setting(ctx, "business_account_id")) });
    const apps = field(res.data, "data");
    const list = Array.isArray(apps) ? apps : [];
    const overrides = list
      .map((a) => field(a, "override_callback_uri"))
      .filter((u): u is string => typeof u === "string" && u !== "");
    return {
      pointsHere: ctx.webhookUrl !== undefined && overrides.includes(ctx.webhookUrl),
      currentUrl: overrides[0] ?? null,
      details: {
        subscribed_apps: list.map(
          (a) =>
            field(a, "whatsapp_business_api_data", "name") ?? field(a, "whatsapp_business_api_data", "id"),
        ),
      },
    };
  },

  async register(ctx) {
    if (!ctx.webhookUrl)
      throw new ProviderError("permanent", "the hub has no webhook URL for this integration");
    if (!ctx.webhookVerifyToken)
      throw new ProviderError("permanent", "the integration has no webhook_verify_token");
    const res = await graph(ctx, "WhatsApp", {
      method: "POST",
      path: path(setting(ctx, "business_account_id")),
      json: { override_callback_uri: ctx.webhookUrl, verify_token: ctx.webhookVerifyToken },
    });
    if (field(res.data, "success") !== true)
      throw new ProviderError("permanent", "WhatsApp: subscribed_apps did not answer success");
    return { message: "WhatsApp: the app is subscribed to the business account with the hub's callback URL" };
  },
};
