/**
 * SNS HTTP/S notifications at an integration's webhook URL (Amazon SNS, and Amazon SES whose
 * events reach it through an SNS topic). The body is SNS's JSON envelope, whose fields are what
 * is signed (signature.ts); a `SubscriptionConfirmation` is confirmed by fetching its
 * `SubscribeURL`, only when that is SNS's own. With `topic_arn` set, a message of another topic
 * is refused. `MessageId` is the dedupe key.
 */
import { ProviderError } from "../runtime.ts";
import { bodyJson, type ProviderWebhook, refused, type WebhookEffect } from "../webhooks.ts";
import { trustedSnsUrl, verifySnsSignature } from "./signature.ts";

const isObject = (v: unknown): v is Record<string, unknown> =>
  !!v && typeof v === "object" && !Array.isArray(v);

/** The envelope's `Message` parsed when it is JSON (SES events are), else as it came. */
function innerMessage(envelope: Record<string, unknown>): unknown {
  const message = envelope.Message;
  if (typeof message !== "string") return message;
  try {
    return JSON.parse(message);
  } catch {
    return message;
  }
}

/** @param effectsOf What a notification's (parsed) `Message` does to messages. */
export function snsWebhook(effectsOf: (message: unknown) => WebhookEffect[]): ProviderWebhook {
  return {
    async verify(req, ctx) {
      const m = bodyJson(req);
      if (!isObject(m)) return refused("the body is not an SNS message", 400);
      const header = req.headers.get("x-amz-sns-message-type");
      if (header && header !== m.Type)
        return refused("x-amz-sns-message-type does not match the message", 400);
      const v = await verifySnsSignature(m, {
        ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
        ...(ctx.sandboxBase ? { sandboxBase: ctx.sandboxBase } : {}),
        now: ctx.now,
      });
      if (!v.ok) return v;
      const topic = ctx.config.topic_arn;
      if (typeof topic === "string" && topic && m.TopicArn !== topic)
        return refused(
          `the message is from topic ${String(m.TopicArn)}, not the integration's ${topic}`,
          403,
        );
      return v;
    },

    async confirm(req, ctx) {
      const m = bodyJson(req);
      if (!isObject(m) || m.Type !== "SubscriptionConfirmation") return;
      const url = trustedSnsUrl(m.SubscribeURL, ctx.sandboxBase, false);
      if (url?.searchParams.get("Action") !== "ConfirmSubscription")
        throw new ProviderError("permanent", "SubscribeURL is not an Amazon SNS ConfirmSubscription URL");
      if (!ctx.fetch) throw new ProviderError("transient", "the subscription cannot be confirmed here");
      const res = await ctx.fetch(new Request(url, { headers: { accept: "text/xml" } }));
      const text = await res.text();
      if (res.status !== 200 || !text.includes("<ConfirmSubscriptionResponse"))
        throw new ProviderError(
          res.status >= 500 ? "transient" : "permanent",
          `Amazon SNS: ConfirmSubscription answered HTTP ${res.status}`,
        );
    },

    describe(req) {
      const m = bodyJson(req);
      if (!isObject(m)) return null;
      const message = innerMessage(m);
      const inner = isObject(message) ? (message.eventType ?? message.notificationType) : undefined;
      // The token and the URLs that carry it confirm or end the subscription: not stored.
      const payload: Record<string, unknown> = { Type: m.Type, MessageId: m.MessageId, TopicArn: m.TopicArn };
      for (const k of ["Subject", "Timestamp", "SignatureVersion"])
        if (typeof m[k] === "string") payload[k] = m[k];
      payload.Message = message;
      return {
        type: typeof inner === "string" ? inner : String(m.Type),
        ...(typeof m.MessageId === "string" ? { id: m.MessageId } : {}),
        payload,
      };
    },

    effects(payload) {
      if (!isObject(payload) || payload.Type !== "Notification") return [];
      return effectsOf(payload.Message);
    },
  };
}
