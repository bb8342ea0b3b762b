/**
 * What the parts of the events service share: the event types, the retry schedule and limits,
 * the inputs and results of its methods, its dependencies, and the per-isolate cache of each
 * organization's subscribed endpoints.
 */
import type { Settings } from "../../config.ts";
import type { Vault } from "../../crypto/vault.ts";
import type { Db } from "../../db/client.ts";
import type { Shards } from "../../db/shards.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import type { HttpClient } from "../../providers/runtime.ts";
import type { JobMessage } from "../../queue/messages.ts";
import type { Activity } from "../activity.ts";

/** Event types the hub emits. */
export const EVENT_TYPES = [
  "webhook.received",
  "message.status",
  "message.received",
  "lead.created",
  "integration.error",
  "sync.completed",
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** The type of the event `POST /api/event-endpoints/{id}/test` sends to that endpoint only. */
export const TEST_EVENT_TYPE = "event.test";

/**
 * Seconds to wait before each attempt (Standard Webhooks' example schedule as Svix runs it):
 * immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. Every delay is within the 12 hours a
 * queue message may be delayed.
 */
export const RETRY_SCHEDULE = [0, 5, 300, 1_800, 7_200, 18_000, 36_000, 36_000] as const;
export const MAX_DELIVERY_ATTEMPTS = RETRY_SCHEDULE.length;
/** Cloudflare Queues' longest delay for a message. */
export const MAX_QUEUE_DELAY_SECONDS = 43_200;
/** How long the previous secret keeps signing after a rotation. */
export const SECRET_GRACE_MS = 24 * 3_600_000;
/** Endpoints per organization: bounds the fan-out of one event. */
export const MAX_ENDPOINTS = 50;

/**
 * Per-isolate cache of each organization's enabled endpoints, read by every emit. Endpoint
 * writes in this isolate drop it at once; other isolates see a change within the TTL.
 */
export const SUBSCRIBERS_TTL_MS = 5_000;
export interface Subscriber {
  id: string;
  eventTypes: string[] | null;
}
export const subscriberCache = new Map<string, { until: number; endpoints: Subscriber[] }>();
export const forgetSubscribers = (orgId: string) => subscriberCache.delete(orgId);
/** Statuses whose Retry-After is honoured (Standard Webhooks: slow down on 429/502/504). */
export const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);
export const USER_AGENT = "Switchboard-Webhooks/1";
/** Deliveries untouched this long while pending were lost by the queue (see `redrive`). */
export const STUCK_AFTER_MS = 15 * 60_000;

export interface EndpointInput {
  url: string;
  description?: string | null;
  /** Types delivered; null (or absent) for every type. */
  eventTypes?: EventType[] | null;
}

export interface EmitOptions {
  /**
   * Identifies the cause of the event (e.g. `<webhook event id>:received`): emitting again with
   * the same key is a no-op that returns the first event.
   */
  key?: string;
}

export interface EndpointPatch {
  url?: string;
  description?: string | null;
  eventTypes?: EventType[] | null;
  status?: "enabled" | "disabled";
}

export const invalid = (path: string, message: string) =>
  new ApiError(ErrorCode.INVALID_FIELD, `${path}: ${message}`, { issues: [{ path, message }] });

export const isoNow = () => new Date().toISOString();

/** What every part of the events service is built from. */
export interface EventsDeps {
  db: Db;
  /** Events, deliveries and attempts live in each organization's data database. */
  shards: Shards;
  activity: Activity;
  vault: () => Promise<Vault>;
  settings: Settings;
  http: HttpClient;
  jobs: Queue;
}

/** Queues one `event.deliver` message per delivery, in batches of 100 (the queue's limit). */
export async function enqueueDeliveries(jobs: Queue, orgId: string, deliveryIds: string[]) {
  for (let i = 0; i < deliveryIds.length; i += 100) {
    await jobs.sendBatch(
      deliveryIds.slice(i, i + 100).map((deliveryId) => ({
        body: { type: "event.deliver", orgId, deliveryId } satisfies JobMessage,
      })),
    );
  }
}
