/**
 * The account's default SMS callbacks (Account API `POST /account/settings`): `drCallBackUrl`
 * for delivery receipts and `moCallBackUrl` for inbound SMS. A call without either changes
 * nothing and answers the current `dr-callback-url` and `mo-callback-url` (the check); the
 * registration sets both to the hub's URL. A number with its own inbound URL keeps it.
 */
import { basicAuth, errorFrom, field, ProviderError, request, secret, setting } from "../runtime.ts";
import type { WebhookSetup } from "../types.ts";

async function accountSettings(ctx: Parameters<WebhookSetup["check"]>[0], form: Record<string, string> = {}) {
  const res = await request(ctx, {
    method: "POST",
    path: "/account/settings",
    headers: { authorization: basicAuth(setting(ctx, "api_key"), secret(ctx, "api_secret")) },
    form,
  });
  if (res.status !== 200) {
    const label = field(res.data, "error-code-label");
    throw errorFrom(res, `Vonage: ${typeof label === "string" ? label : "account settings refused"}`);
  }
  const str = (k: string) => {
    const v = field(res.data, k);
    return typeof v === "string" && v ? v : null;
  };
  return { dr: str("dr-callback-url"), mo: str("mo-callback-url") };
}

export const webhookSetup: WebhookSetup = {
  async check(ctx) {
    const s = await accountSettings(ctx);
    return {
      pointsHere: s.dr !== null && s.dr === ctx.webhookUrl,
      currentUrl: s.dr,
      details: { inbound_url: s.mo, inbound_points_here: s.mo !== null && s.mo === ctx.webhookUrl },
    };
  },

  async register(ctx) {
    if (!ctx.webhookUrl)
      throw new ProviderError("permanent", "the hub has no webhook URL for this integration");
    const s = await accountSettings(ctx, { drCallBackUrl: ctx.webhookUrl, moCallBackUrl: ctx.webhookUrl });
    if (s.dr !== ctx.webhookUrl)
      throw new ProviderError("permanent", "Vonage: the delivery receipt URL was not changed");
    return { message: "Vonage: delivery receipts and inbound SMS now go to the hub" };
  },
};
