/**
 * What an organization can read of its events: the events themselves (newest first), each
 * endpoint's deliveries with their attempts, and manual redelivery of one delivery.
 */
import { and, desc, eq, lt, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import {
  type EventAttemptRow,
  type EventDeliveryRow,
  eventAttempts,
  eventDeliveries,
  events,
} from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import { decodeCursor, encodeCursor, pageOf } from "../../lib/pagination.ts";
import type { Activity } from "../activity.ts";
import type { EventEndpoints } from "./endpoints.ts";
import { type EventsDeps, enqueueDeliveries, isoNow } from "./shared.ts";

/** A delivery with its event's type and the number of attempts so far. */
export type DeliveryWithEvent = EventDeliveryRow & { eventType: string | null; attemptCount: number };

export class EventLog {
  private readonly db: Db;
  private readonly shards: Shards;
  private readonly activity: Activity;
  private readonly jobs: Queue;

  constructor(
    deps: EventsDeps,
    private readonly endpoints: EventEndpoints,
  ) {
    this.db = deps.db;
    this.shards = deps.shards;
    this.activity = deps.activity;
    this.jobs = deps.jobs;
  }

  /**
   * The organization's events, newest first. Keyed events have ids derived from their key, not
   * from time, so the order (and the cursor) is by creation time, then id.
   */
  async listEvents(orgId: string, f: { type?: string; cursor?: string; limit: number }) {
    const after = decodeCursor(f.cursor);
    let position: { createdAt: string; id: string } | undefined;
    if (after !== undefined) {
      const [createdAt, id] = after.split("|");
      if (!createdAt || !id)
        throw new ApiError(ErrorCode.INVALID_FIELD, "cursor: invalid cursor", {
          issues: [{ path: "cursor", message: "invalid cursor" }],
        });
      position = { createdAt, id };
    }
    const rows = await this.shards
      .of(orgId)
      .select()
      .from(events)
      .where(
        and(
          eq(events.orgId, orgId),
          f.type ? eq(events.type, f.type) : undefined,
          position
            ? or(
                lt(events.createdAt, position.createdAt),
                and(eq(events.createdAt, position.createdAt), lt(events.id, position.id)),
              )
            : undefined,
        ),
      )
      .orderBy(desc(events.createdAt), desc(events.id))
      .limit(f.limit + 1);
    const items = rows.slice(0, f.limit);
    const last = items.at(-1);
    return {
      items,
      nextCursor: rows.length > f.limit && last ? encodeCursor(`${last.createdAt}|${last.id}`) : null,
    };
  }

  // ---- the delivery log ----------------------------------------------------------------------

  /** Deliveries with their events and attempts: all three in the organization's data database. */
  private deliveryQuery(orgId: string) {
    return this.shards
      .of(orgId)
      .select({
        delivery: eventDeliveries,
        eventType: events.type,
        attemptCount: sql<number>`(select count(*) from ${eventAttempts} where ${eventAttempts.orgId} = ${eventDeliveries.orgId} and ${eventAttempts.deliveryId} = ${eventDeliveries.id})`,
      })
      .from(eventDeliveries)
      .leftJoin(events, eq(events.id, eventDeliveries.eventId));
  }

  /** An endpoint's deliveries, newest first, each with its event type and attempts so far. */
  async listDeliveries(
    orgId: string,
    endpointId: string,
    f: { status?: EventDeliveryRow["status"]; cursor?: string; limit: number },
  ) {
    await this.endpoints.getEndpoint(orgId, endpointId);
    const after = decodeCursor(f.cursor);
    const rows = await this.deliveryQuery(orgId)
      .where(
        and(
          eq(eventDeliveries.orgId, orgId),
          eq(eventDeliveries.endpointId, endpointId),
          f.status ? eq(eventDeliveries.status, f.status) : undefined,
          after ? lt(eventDeliveries.id, after) : undefined,
        ),
      )
      .orderBy(desc(eventDeliveries.id))
      .limit(f.limit + 1);
    return pageOf(
      rows.map((r) => ({ ...r.delivery, eventType: r.eventType, attemptCount: r.attemptCount })),
      f.limit,
    );
  }

  /** One delivery of the organization's endpoint; anything else is a 404. */
  async getDelivery(orgId: string, endpointId: string, deliveryId: string): Promise<DeliveryWithEvent> {
    const rows = await this.deliveryQuery(orgId)
      .where(
        and(
          eq(eventDeliveries.orgId, orgId),
          eq(eventDeliveries.endpointId, endpointId),
          eq(eventDeliveries.id, deliveryId),
        ),
      )
      .limit(1);
    const r = rows[0];
    if (!r) throw notFound("Delivery");
    return { ...r.delivery, eventType: r.eventType, attemptCount: r.attemptCount };
  }

  /** Every attempt of a delivery, oldest first. */
  async listAttempts(orgId: string, deliveryId: string): Promise<EventAttemptRow[]> {
    return this.shards
      .of(orgId)
      .select()
      .from(eventAttempts)
      .where(and(eq(eventAttempts.orgId, orgId), eq(eventAttempts.deliveryId, deliveryId)))
      .orderBy(eventAttempts.id)
      .limit(100);
  }

  /**
   * Delivers again: the delivery (pending, succeeded or failed) starts a new round of the retry
   * schedule at once. Refused while it is being attempted or while the endpoint is disabled.
   */
  async redeliver(orgId: string, endpointId: string, deliveryId: string, actor: string, now = Date.now()) {
    const endpoint = await this.endpoints.getEndpoint(orgId, endpointId);
    const d = await this.getDelivery(orgId, endpointId, deliveryId);
    if (endpoint.status !== "enabled")
      throw new ApiError(ErrorCode.CONFLICT, "The endpoint is disabled; enable it before redelivering");
    if (d.status === "delivering" && (d.leaseUntil ?? 0) > now)
      throw new ApiError(ErrorCode.CONFLICT, "The delivery is being attempted right now; retry shortly");
    const reset = await this.shards
      .of(orgId)
      .update(eventDeliveries)
      .set({
        status: "pending",
        attempts: 0,
        leaseUntil: null,
        nextAttemptAt: null,
        deliveredAt: null,
        updatedAt: isoNow(),
      })
      .where(
        and(
          eq(eventDeliveries.id, d.id),
          eq(eventDeliveries.status, d.status),
          eq(eventDeliveries.attempts, d.attempts),
        ),
      )
      .run();
    if (reset.meta.changes !== 1)
      throw new ApiError(ErrorCode.CONFLICT, "The delivery changed meanwhile; retry");
    await this.db.batch([
      this.activity.auditStatement({
        orgId,
        actor,
        action: "event_delivery.redelivered",
        targetType: "event_delivery",
        targetId: d.id,
        details: { endpoint_id: endpointId, event_id: d.eventId, previous_status: d.status },
      }),
    ]);
    await enqueueDeliveries(this.jobs, orgId, [d.id]);
    return this.getDelivery(orgId, endpointId, deliveryId);
  }
}
