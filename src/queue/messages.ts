/** The queue message union, parsed again with zod when a consumer reads it. */
import { z } from "zod";

/** A verified webhook delivery on its way to D1 (what the ingest route answered for). */
export const QueuedWebhookEvent = z.object({
  id: z.string(),
  integrationId: z.string(),
  provider: z.string(),
  eventType: z.string(),
  providerEventId: z.string().nullable(),
  dedupeKey: z.string(),
  /** The parsed payload, already redacted. */
  payload: z.unknown(),
  /** Received by an inactive integration: stored as `ignored`, never processed. */
  ignored: z.boolean(),
  receivedAt: z.string(),
});
export type QueuedWebhookEvent = z.infer<typeof QueuedWebhookEvent>;

export const JobMessage = z.discriminatedUnion("type", [
  /** Re-wrap organization keys still under a non-current ring key, a batch at a time. */
  z.object({ type: z.literal("vault.rewrap") }),
  /** Re-encrypt one organization's secrets under its new data key, a batch at a time. */
  z.object({ type: z.literal("vault.reencrypt"), orgId: z.string(), rotationId: z.string() }),
  /** Send one outbound message through its integration's provider. */
  z.object({ type: z.literal("message.send"), orgId: z.string(), messageId: z.string() }),
  /** Store a verified provider webhook (de-duplicated), then process it. */
  z.object({ type: z.literal("webhook.ingest"), orgId: z.string(), event: QueuedWebhookEvent }),
  /** Process stored provider webhooks of one organization (statuses, inbound messages, leads, events). */
  z.object({
    type: z.literal("webhook.process"),
    orgId: z.string(),
    eventIds: z.array(z.string()).min(1).max(50),
  }),
  /** Deliver one host-app event to one endpoint, signed the Standard Webhooks way. */
  z.object({ type: z.literal("event.deliver"), orgId: z.string(), deliveryId: z.string() }),
  /** Fetch and store page `page` of a sync job (one page a message, so a job of any size fits). */
  z.object({
    type: z.literal("sync.page"),
    orgId: z.string(),
    jobId: z.string(),
    page: z.number().int().min(0),
  }),
  /** Create or update one record at the provider (outward sync). */
  z.object({ type: z.literal("record.push"), orgId: z.string(), pushId: z.string() }),
]);
export type JobMessage = z.infer<typeof JobMessage>;
