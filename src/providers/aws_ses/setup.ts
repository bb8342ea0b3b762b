/**
 * SES events through SNS: a configuration set (sent with every email, `configuration_set`) whose
 * event destination publishes Send, Delivery, Bounce, Complaint, Reject, DeliveryDelay and
 * Rendering Failure events to an SNS topic (`topic_arn`) that the hub's URL is subscribed to.
 * The check reads the set's event destinations (SES v2 GetConfigurationSetEventDestinations)
 * and each SNS destination's subscriptions (ListSubscriptionsByTopic); registering creates
 * what is missing: CreateConfigurationSet, CreateTopic, CreateConfigurationSetEventDestination
 * (or UpdateConfigurationSetEventDestination) and Subscribe.
 */
import { createTopic, subscribeHub, subscriptionsOf, topicTarget } from "../aws_sns/topics.ts";
import { field, type ProviderContext, ProviderError } from "../runtime.ts";
import type { WebhookSetup, WebhookTarget } from "../types.ts";
import { errorCode, failure } from "./client.ts";
import { awsRequest } from "./sigv4.ts";

const DEFAULT_SET = "switchboard";
const DEFAULT_TOPIC = "switchboard-ses-events";
const DESTINATION = "switchboard-sns";
const EVENT_TYPES = [
  "SEND",
  "REJECT",
  "BOUNCE",
  "COMPLAINT",
  "DELIVERY",
  "DELIVERY_DELAY",
  "RENDERING_FAILURE",
];

const str = (v: unknown) => (typeof v === "string" && v ? v : null);

/**
 * The same account's SNS API: `sns.<region>` next to `email.<region>`, or the simulator's (or a
 * deployment's) SNS next to its SES.
 */
function snsContext(ctx: ProviderContext): ProviderContext {
  const base = ctx.baseUrl.replace(/\/+$/, "");
  const aws = base.match(/^https:\/\/email\.([a-z0-9-]+)\.amazonaws\.com$/);
  if (aws) return { ...ctx, baseUrl: `https://sns.${aws[1]}.amazonaws.com` };
  if (base.endsWith("/aws_ses")) return { ...ctx, baseUrl: `${base.slice(0, -"aws_ses".length)}aws_sns` };
  throw new ProviderError("permanent", "the SNS endpoint for this SES base URL is unknown");
}

const setPath = (name: string) => `/v2/email/configuration-sets/${encodeURIComponent(name)}`;

/** The SNS topics the set's enabled event destinations publish to, or null when the set does not exist. */
async function destinationTopics(ctx: ProviderContext, set: string): Promise<string[] | null> {
  const res = await awsRequest(ctx, "ses", { path: `${setPath(set)}/event-destinations` });
  if (res.status === 404) return null;
  if (res.status !== 200) throw failure(res);
  const list = field(res.data, "EventDestinations");
  return (Array.isArray(list) ? list : [])
    .filter((d) => field(d, "Enabled") === true)
    .map((d) => str(field(d, "SnsDestination", "TopicArn")))
    .filter((t): t is string => t !== null);
}

/** A create that may find the thing already there (AlreadyExistsException). */
async function createOrKeep(ctx: ProviderContext, path: string, json: unknown): Promise<boolean> {
  const res = await awsRequest(ctx, "ses", { method: "POST", path, json });
  if (res.status === 200) return true;
  if (errorCode(res) === "AlreadyExistsException") return false;
  throw failure(res);
}

export const webhookSetup: WebhookSetup = {
  async check(ctx) {
    const set = str(ctx.config.configuration_set);
    const none: WebhookTarget = { pointsHere: false, currentUrl: null, details: { configuration_set: set } };
    if (!set) return none;
    const topics = await destinationTopics(ctx, set);
    if (!topics?.length) return { ...none, details: { configuration_set: set, exists: topics !== null } };
    const sns = snsContext(ctx);
    let first: WebhookTarget | undefined;
    for (const topic of topics) {
      const target = topicTarget(sns, topic, await subscriptionsOf(sns, topic));
      if (target.pointsHere) return { ...target, details: { configuration_set: set, ...target.details } };
      first ??= target;
    }
    return { ...(first as WebhookTarget), details: { configuration_set: set, ...first?.details } };
  },

  async register(ctx) {
    const set = str(ctx.config.configuration_set) ?? DEFAULT_SET;
    const sns = snsContext(ctx);
    await createOrKeep(ctx, "/v2/email/configuration-sets", { ConfigurationSetName: set });
    const topic = str(ctx.config.topic_arn) ?? (await createTopic(sns, DEFAULT_TOPIC));
    const destination = {
      Enabled: true,
      MatchingEventTypes: EVENT_TYPES,
      SnsDestination: { TopicArn: topic },
    };
    const created = await createOrKeep(ctx, `${setPath(set)}/event-destinations`, {
      EventDestinationName: DESTINATION,
      EventDestination: destination,
    });
    if (!created) {
      const res = await awsRequest(ctx, "ses", {
        method: "PUT",
        path: `${setPath(set)}/event-destinations/${DESTINATION}`,
        json: { EventDestination: destination },
      });
      if (res.status !== 200) throw failure(res);
    }
    await subscribeHub(sns, topic);
    return {
      message: `Amazon SES: configuration set ${set} publishes its events to ${topic}, which the hub is subscribed to; SNS confirms the subscription with the hub next`,
      values: { configuration_set: set, topic_arn: topic },
    };
  },
};
