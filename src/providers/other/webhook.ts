/**
 * Custom integrations' webhooks, signed the Standard Webhooks way (spec v1.0.0, symmetric
 * `v1`): `webhook-signature` is a space-separated list of `v1,<base64>` entries, each a
 * base64 HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${rawBody}` keyed with the
 * base64-decoded part of the `whsec_` secret; any entry matching passes, other versions are
 * ignored. `webhook-timestamp` (seconds) must be within the replay window; `webhook-id` is the
 * dedupe key. The secret setting may hold several secrets separated by spaces or commas, so a
 * sender can rotate without downtime.
 */
import { standardWebhookKeys, verifyStandardWebhook } from "../../crypto/standard-webhooks.ts";
import { field } from "../runtime.ts";
import { bodyJson, missingSecret, type ProviderWebhook, refused, replayWindowError } from "../webhooks.ts";

export const webhook: ProviderWebhook = {
  async verify(req, ctx) {
    const setting = ctx.secrets.webhook_secret;
    if (!setting) return missingSecret("webhook signing secret");
    const keys = standardWebhookKeys(setting);
    if (keys.length === 0) return refused("the webhook signing secret is not a whsec_ base64 secret");
    const id = req.headers.get("webhook-id");
    const timestamp = req.headers.get("webhook-timestamp");
    const header = req.headers.get("webhook-signature");
    if (!id || !timestamp || !header)
      return refused("missing webhook-id, webhook-timestamp or webhook-signature");
    const stale = replayWindowError(/^\d+$/.test(timestamp) ? timestamp : null, ctx.now);
    if (stale) return refused(stale);
    const ok = await verifyStandardWebhook(keys, { id, timestamp, body: req.body, header });
    return ok ? { ok: true } : refused("no v1 signature matches");
  },

  describe(req) {
    const payload = bodyJson(req);
    const type = field(payload, "type");
    const id = req.headers.get("webhook-id");
    return { type: typeof type === "string" ? type : "event", ...(id ? { id } : {}), payload };
  },
};
