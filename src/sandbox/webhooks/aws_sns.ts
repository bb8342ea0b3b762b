/**
 * Amazon SNS HTTP/S deliveries, signed as SNS signs them (src/sandbox/providers/sns-topics.ts):
 * `subscription_confirmation` for the endpoint's pending subscription (made by Subscribe, or
 * made here), and `notification` of the integration's topic. `data.signature_version` "2" signs
 * with SHA256withRSA (default "1", SHA1withRSA); `data.text` is the notification's Message.
 * Faults: `bad_signature` (a signature of other bytes), `missing_signature`, `tampered` (the
 * Message changed after signing), `stale` (two hours old) and `future` (ten minutes ahead).
 */
import {
  confirmationMessage,
  notificationMessage,
  signSnsMessage,
  subscribe,
  subscriptionOf,
  topicArn,
} from "../providers/sns-topics.ts";
import type { FireOptions, WebhookSender } from "./sender.ts";

/** When the message was signed, shifted for the `stale` and `future` faults. */
function signedAt(o: FireOptions): number {
  const now = o.now ?? Date.now();
  if (o.fault === "stale") return now - 2 * 60 * 60 * 1000;
  if (o.fault === "future") return now + 10 * 60 * 1000;
  return now;
}

const snsBaseOf = (url: string) => `${new URL(url).origin}/sandbox/aws_sns`;

/** The integration's topic, or the sandbox's default one in its region. */
export function topicOf(o: FireOptions): string {
  const configured = o.config.topic_arn;
  if (typeof configured === "string" && configured) return configured;
  return (
    subscriptionOf(o.url)?.topicArn ?? topicArn(String(o.config.region || "us-east-1"), "switchboard-sandbox")
  );
}

/** Signs `message` (or breaks it as `o.fault` asks) and posts it the way SNS does. */
export async function snsRequest(o: FireOptions, message: Record<string, string>, snsBase: string) {
  const version = o.data?.signature_version === "2" ? "2" : "1";
  const signed = await signSnsMessage(message, snsBase, version);
  if (o.fault === "bad_signature") {
    const other = await signSnsMessage({ ...message, MessageId: crypto.randomUUID() }, snsBase, version);
    signed.Signature = other.Signature as string;
  }
  if (o.fault === "missing_signature") delete signed.Signature;
  if (o.fault === "tampered") signed.Message = `${signed.Message} (changed)`;
  return new Request(o.url, {
    method: "POST",
    headers: {
      "content-type": "text/plain; charset=UTF-8",
      "x-amz-sns-message-type": message.Type as string,
      "x-amz-sns-message-id": message.MessageId as string,
      "x-amz-sns-topic-arn": message.TopicArn as string,
      "user-agent": "Amazon Simple Notification Service Agent",
    },
    body: JSON.stringify(signed),
  });
}

/** The SubscriptionConfirmation of the endpoint's subscription (subscribing it first when it has none). */
export function confirmationFor(o: FireOptions) {
  const s =
    subscriptionOf(o.url) ??
    subscribe(topicOf(o), new URL(o.url).protocol.slice(0, -1), o.url, snsBaseOf(o.url));
  return snsRequest(o, confirmationMessage(s, signedAt(o)), s.snsBase);
}

/** A Notification of the integration's topic carrying `message`. */
export function notificationFor(o: FireOptions, message: string, subject?: string) {
  const base = subscriptionOf(o.url)?.snsBase ?? snsBaseOf(o.url);
  return snsRequest(o, notificationMessage(topicOf(o), message, base, subject, signedAt(o)), base);
}

export const aws_sns: WebhookSender = {
  events: ["notification", "subscription_confirmation"],
  build(o) {
    if (o.event === "subscription_confirmation") return confirmationFor(o);
    return notificationFor(o, o.data?.text ?? "Hello from the Amazon SNS sandbox", "Sandbox notification");
  },
};
