/**
 * Google Calendar push notifications: an empty POST whose `X-Goog-*` headers name the channel,
 * its token, the watched resource and what happened (`sync` when a channel opens, then
 * `exists`, or `not_exists` when the resource is gone). There is no signature; the token is the
 * one the hub gave the channel (`channel_token`), the channel id its `watch_channel_id`.
 */
import { type WebhookSender, wrongSecret } from "./sender.ts";

let messageNumber = 1;

export const google_calendar: WebhookSender = {
  events: ["exists", "sync", "not_exists"],
  async build(o) {
    const token = o.secrets.channel_token ?? "";
    const channel = String(o.config.watch_channel_id ?? o.data?.channel_id ?? "");
    const resource = String(o.config.watch_resource_id ?? "sbx-resource");
    const headers = new Headers({
      "x-goog-channel-id": channel,
      "x-goog-channel-expiration": new Date((o.now ?? Date.now()) + 3600_000).toUTCString(),
      "x-goog-resource-id": resource,
      "x-goog-resource-uri": "https://www.googleapis.com/calendar/v3/calendars/primary/events?alt=json",
      "x-goog-resource-state": o.event ?? "exists",
      "x-goog-message-number": o.data?.event_id ?? String(o.event === "sync" ? 1 : ++messageNumber),
    });
    if (o.fault !== "missing_signature")
      headers.set("x-goog-channel-token", o.fault === "bad_signature" ? wrongSecret(token) : token);
    return new Request(o.url, { method: "POST", headers, body: "" });
  },
};
