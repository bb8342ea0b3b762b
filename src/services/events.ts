/**
 * Events to the host app (SPEC §10): per-organization endpoints, events fanned out to the
 * endpoints that subscribe to their type, delivered from the queue signed the Standard Webhooks
 * way, with a log of every attempt.
 */
import type { Db } from "../db/client.ts";
import type { Logger } from "../lib/log.ts";
import type { JobResult } from "../queue/consumer.ts";

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

export class Events {
  constructor(
    readonly db: Db,
    readonly jobs: Queue,
  ) {}

  /** Records an event and queues a delivery to every enabled endpoint that wants its type. */
  async emit(_orgId: string, _type: EventType, _data: Record<string, unknown>): Promise<void> {}

  /** One delivery attempt, called by the queue consumer. */
  async deliver(_orgId: string, _deliveryId: string, _log: Logger): Promise<JobResult> {
    return { action: "ack" };
  }
}
