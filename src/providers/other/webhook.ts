/**
 * Custom integrations' webhooks, signed the Standard Webhooks way (spec v1.0.0, symmetric
 * `v1`): `webhook-signature` is a space-separated list of `v1,<base64>` entries, each a
 * base64 HMAC-SHA256 of `${webhook-id}.${webhook-timestamp}.${rawBody}` keyed with the
 * base64-decoded part of the `whsec_` secret; any entry matching passes, other versions are
 * ignored. `webhook-timestamp` (seconds) must be within the replay window; `webhook-id` is the
 * dedupe key. The secret setting may hold several secrets separated by spaces or commas, so a
 * sender can rotate without downtime.
 */
import { fromBase64 } from "../../crypto/encoding.ts";
import { field } from "../runtime.ts";
import {
  bodyJson,
  concatBytes,
  hmacBase64,
  missingSecret,
  type ProviderWebhook,
  refused,
  replayWindowError,
  safeEqualAny,
} from "../webhooks.ts";

/** The HMAC keys in a secret setting: each `whsec_` (optional) + base64; undecodable ones are skipped. */
export function signingKeys(setting: string): Uint8Array<ArrayBuffer>[] {
  return setting
    .split(/[\s,]+/)
    .filter(Boolean)
    .flatMap((s) => {
      try {
        const key = fromBase64(s.replace(/^whsec_/, ""));
        return key.length > 0 ? [key] : [];
      } catch {
        return [];
      }
    });
}

/** The `v1,` entry for one key (also what the sandbox sender signs with). */
export const signatureV1 = async (
  key: Uint8Array<ArrayBuffer>,
  id: string,
  timestamp: string,
  body: Uint8Array,
) => `v1,${await hmacBase64("SHA-256", key, concatBytes(`${id}.${timestamp}.`, body))}`;

export const webhook: ProviderWebhook = {
  async verify(req, ctx) {
    const setting = ctx.secrets.webhook_secret;
    if (!setting) return missingSecret("webhook signing secret");
    const keys = signingKeys(setting);
    if (keys.length === 0) return refused("the webhook signing secret is not a whsec_ base64 secret");
    const id = req.headers.get("webhook-id");
    const timestamp = req.headers.get("webhook-timestamp");
    const header = req.headers.get("webhook-signature");
    if (!id || !timestamp || !header)
      return refused("missing webhook-id, webhook-timestamp or webhook-signature");
    const stale = replayWindowError(/^\d+$/.test(timestamp) ? timestamp : null, ctx.now);
    if (stale) return refused(stale);
    const expected = await Promise.all(keys.map((k) => signatureV1(k, id, timestamp, req.body)));
    const given = header.split(" ").filter((s) => s.startsWith("v1,"));
    const matches = await Promise.all(given.map((g) => safeEqualAny(g, expected)));
    return matches.some(Boolean) ? { ok: true } : refused("no v1 signature matches");
  },

  describe(req) {
    const payload = bodyJson(req);
    const type = field(payload, "type");
    const id = req.headers.get("webhook-id");
    return { type: typeof type === "string" ? type : "event", ...(id ? { id } : {}), payload };
  },
};
