/**
 * Google Calendar push notifications (providers.md §14): POSTs with an empty body whose headers
 * say what happened. No signature: the channel id must be the integration's current channel
 * (`watch_channel_id`) and `X-Goog-Channel-Token` the random secret the hub gave the channel
 * (`channel_token`, in the vault), both compared in constant time. The `sync` message Google
 * sends when a channel opens is acknowledged and stored nothing; `exists` and `not_exists`
 * start an incremental sync of the calendar's events.
 */
import { missingSecret, type ProviderWebhook, refused, safeEqual, type Verification } from "../webhooks.ts";

const HEADERS = {
  channel_id: "x-goog-channel-id",
  channel_expiration: "x-goog-channel-expiration",
  resource_id: "x-goog-resource-id",
  resource_uri: "x-goog-resource-uri",
  resource_state: "x-goog-resource-state",
  message_number: "x-goog-message-number",
} as const;

export const webhook: ProviderWebhook = {
  async verify(req, ctx): Promise<Verification> {
    const secret = ctx.secrets.channel_token;
    const channel = typeof ctx.config.watch_channel_id === "string" ? ctx.config.watch_channel_id : "";
    if (!secret || !channel) return missingSecret("watch channel (start one with POST …/calendar/watch)");
    const givenId = req.headers.get(HEADERS.channel_id);
    const givenToken = req.headers.get("x-goog-channel-token");
    if (!givenId || !givenToken) return refused("missing X-Goog-Channel-ID or X-Goog-Channel-Token header");
    // Both compared, whatever the first answer, so the time says nothing about which failed.
    const [idOk, tokenOk] = await Promise.all([safeEqual(givenId, channel), safeEqual(givenToken, secret)]);
    if (!idOk) return refused("unknown channel");
    return tokenOk ? { ok: true } : refused("channel token does not match");
  },

  describe(req) {
    const state = req.headers.get(HEADERS.resource_state) ?? "";
    // The handshake when a channel opens: nothing to store or do.
    if (state === "sync") return null;
    const payload = Object.fromEntries(
      Object.entries(HEADERS).map(([k, h]) => [k, req.headers.get(h)]),
    ) as Record<string, string | null>;
    const number = payload.message_number;
    return {
      type: state || "notification",
      ...(number ? { id: `${payload.channel_id}:${number}` } : {}),
      payload,
    };
  },

  effects(payload) {
    const state = (payload as Record<string, unknown> | null)?.resource_state;
    return state === "exists" || state === "not_exists" ? [{ kind: "sync.requested", entity: "events" }] : [];
  },
};
