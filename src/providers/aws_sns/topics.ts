/**
 * The SNS calls webhook registration makes (Query API, SigV4 `sns`): CreateTopic, Subscribe
 * (protocol https, the hub's URL) and ListSubscriptionsByTopic, and what a topic's
 * subscriptions say about where it delivers. Shared with Amazon SES, whose events reach the hub
 * through a topic.
 */
import { type ProviderContext, ProviderError } from "../runtime.ts";
import type { WebhookTarget } from "../types.ts";
import { query, xmlValue } from "./client.ts";

/** Creates the topic (or finds it: CreateTopic is idempotent) and answers its ARN. */
export async function createTopic(ctx: ProviderContext, name: string): Promise<string> {
  const arn = xmlValue(await query(ctx, "CreateTopic", { Name: name }), "TopicArn");
  if (!arn) throw new ProviderError("transient", "Amazon SNS: the CreateTopic answer has no TopicArn");
  return arn;
}

/** Subscribes the hub's URL to the topic; SNS then posts a SubscriptionConfirmation to it. */
export async function subscribeHub(ctx: ProviderContext, topicArn: string): Promise<void> {
  if (!ctx.webhookUrl)
    throw new ProviderError("permanent", "the hub has no webhook URL for this integration");
  await query(ctx, "Subscribe", {
    TopicArn: topicArn,
    Protocol: new URL(ctx.webhookUrl).protocol === "http:" ? "http" : "https",
    Endpoint: ctx.webhookUrl,
    ReturnSubscriptionArn: "true",
  });
}

export interface TopicSubscription {
  /** `PendingConfirmation` until the endpoint confirms it. */
  arn: string;
  protocol: string;
  endpoint: string;
}

/** The topic's subscriptions (the first page: up to 100). */
export async function subscriptionsOf(ctx: ProviderContext, topicArn: string): Promise<TopicSubscription[]> {
  const xml = await query(ctx, "ListSubscriptionsByTopic", { TopicArn: topicArn });
  return [...xml.matchAll(/<member>([\s\S]*?)<\/member>/g)].map((m) => {
    const block = m[1] ?? "";
    return {
      arn: xmlValue(block, "SubscriptionArn") ?? "",
      protocol: xmlValue(block, "Protocol") ?? "",
      endpoint: xmlValue(block, "Endpoint") ?? "",
    };
  });
}

/** Where a topic's HTTP(S) subscriptions deliver, against the hub's URL. */
export function topicTarget(
  ctx: ProviderContext,
  topicArn: string,
  subs: TopicSubscription[],
): WebhookTarget {
  const web = subs.filter((s) => s.protocol === "https" || s.protocol === "http");
  const ours = web.find((s) => s.endpoint === ctx.webhookUrl);
  return {
    pointsHere: ours !== undefined,
    currentUrl: ours?.endpoint ?? web[0]?.endpoint ?? null,
    details: {
      topic_arn: topicArn,
      subscription: ours ? (ours.arn === "PendingConfirmation" ? "pending_confirmation" : "confirmed") : null,
    },
  };
}
