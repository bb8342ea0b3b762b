/**
 * Where the integration's topic delivers: the check lists the `topic_arn` topic's subscriptions;
 * registering subscribes the hub's URL (creating a topic first when none is configured). SNS
 * then sends a SubscriptionConfirmation, which the hub confirms (webhook.ts); until then the
 * check reports `subscription: "pending_confirmation"`.
 */
import type { WebhookSetup } from "../types.ts";
import { createTopic, subscribeHub, subscriptionsOf, topicTarget } from "./topics.ts";

const DEFAULT_TOPIC = "switchboard-notifications";

const topicOf = (config: Record<string, unknown>) =>
  typeof config.topic_arn === "string" && config.topic_arn ? config.topic_arn : null;

export const webhookSetup: WebhookSetup = {
  async check(ctx) {
    const topic = topicOf(ctx.config);
    if (!topic) return { pointsHere: false, currentUrl: null, details: { topic_arn: null } };
    return topicTarget(ctx, topic, await subscriptionsOf(ctx, topic));
  },

  async register(ctx) {
    const topic = topicOf(ctx.config) ?? (await createTopic(ctx, DEFAULT_TOPIC));
    await subscribeHub(ctx, topic);
    return {
      message: `Amazon SNS: the hub is subscribed to ${topic}; SNS confirms the subscription with the hub next`,
      values: { topic_arn: topic },
    };
  },
};
