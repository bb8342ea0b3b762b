/**
 * Emitting events: an event is stored, and one delivery queued for every enabled endpoint of
 * the organization that wants its type. A keyed emit is idempotent (the id derives from the key).
 */
import { and, eq } from "drizzle-orm";
import { sha256Hex } from "../../crypto/hash.ts";
import { batchAcross, on, type Statement } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import { type EventRow, eventDeliveries, eventEndpoints, events } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import { prefixedId } from "../../lib/ids.ts";
import { redactTokens } from "../../lib/redact.ts";
import type { Activity } from "../activity.ts";
import type { EventEndpoints } from "./endpoints.ts";
import type { EventLog } from "./log.ts";
import {
  type EmitOptions,
  type EventsDeps,
  type EventType,
  enqueueDeliveries,
  isoNow,
  MAX_ENDPOINTS,
  SUBSCRIBERS_TTL_MS,
  type Subscriber,
  subscriberCache,
  TEST_EVENT_TYPE,
} from "./shared.ts";

/** Fields of an event that carry a provider's or the hub's reason (`integration.error`, `message.status`). */
const ERROR_FIELDS = ["error", "last_error", "reason", "error_message"] as const;

/** The event's error text without credential shapes (provider reasons may quote what they got). */
function scrubErrors(data: Record<string, unknown>): Record<string, unknown> {
  let out = data;
  for (const k of ERROR_FIELDS) {
    const v = data[k];
    if (typeof v === "string") out = { ...out, [k]: redactTokens(v) };
  }
  return out;
}

/** The id of a keyed event: the same cause always gives the same event (and `webhook-id`). */
const keyedEventId = async (orgId: string, type: string, key: string) =>
  `evt_${(await sha256Hex(`${orgId}\n${type}\n${key}`)).slice(0, 32)}`;

export class EventEmitter {
  private readonly db: Db;
  private readonly shards: Shards;
  private readonly activity: Activity;
  private readonly jobs: Queue;

  constructor(
    deps: EventsDeps,
    private readonly endpoints: EventEndpoints,
    private readonly log: EventLog,
  ) {
    this.db = deps.db;
    this.shards = deps.shards;
    this.activity = deps.activity;
    this.jobs = deps.jobs;
  }

  /**
   * Records an event and queues a delivery to every enabled endpoint of the organization that
   * wants its type. The event is stored even when no endpoint wants it (`GET /api/events`).
   *
   * With `key`, emitting is idempotent: the event id is derived from the key, so a caller that
   * emits again for the same cause (a queue job retried after a crash) gets the first event and
   * its deliveries, not a second event with another `webhook-id`.
   */
  async emit(
    orgId: string,
    type: EventType,
    data: Record<string, unknown>,
    opts: EmitOptions = {},
  ): Promise<{ eventId: string; deliveryIds: string[] }> {
    const endpoints = await this.subscribers(orgId);
    const targets = endpoints.filter((e) => !e.eventTypes || e.eventTypes.includes(type)).map((e) => e.id);
    const id = opts.key ? await keyedEventId(orgId, type, opts.key) : prefixedId("evt");
    const { event, deliveryIds } = await this.record(orgId, id, type, data, targets);
    return { eventId: event.id, deliveryIds };
  }

  /**
   * Emits several events of one organization (a queue job's worth): those no endpoint wants
   * are logged in one write; the others go through `emit` one by one.
   */
  async emitMany(orgId: string, items: { type: EventType; data: Record<string, unknown>; key?: string }[]) {
    if (!items.length) return;
    const endpoints = await this.subscribers(orgId);
    const wanted = (type: string) => endpoints.some((e) => !e.eventTypes || e.eventTypes.includes(type));
    const createdAt = isoNow();
    const unwanted: EventRow[] = [];
    for (const item of items) {
      if (wanted(item.type)) {
        await this.emit(orgId, item.type, item.data, item.key === undefined ? {} : { key: item.key });
        continue;
      }
      const id = item.key ? await keyedEventId(orgId, item.type, item.key) : prefixedId("evt");
      unwanted.push({ id, orgId, type: item.type, payload: scrubErrors(item.data), createdAt });
    }
    // Five bound parameters a row; D1 binds at most 100 a statement.
    const data = this.shards.of(orgId);
    const statements = [];
    for (let i = 0; i < unwanted.length; i += 20)
      statements.push(
        data
          .insert(events)
          .values(unwanted.slice(i, i + 20))
          .onConflictDoNothing(),
      );
    const [first, ...rest] = statements;
    if (first) await data.batch([first, ...rest]);
  }

  /** Sends a test event to one endpoint (whatever its filter), so its owner can see it work. */
  async sendTest(orgId: string, endpointId: string, actor: string) {
    const endpoint = await this.endpoints.getEndpoint(orgId, endpointId);
    if (endpoint.status !== "enabled")
      throw new ApiError(ErrorCode.CONFLICT, "The endpoint is disabled; enable it to send a test event");
    const { event, deliveryIds } = await this.record(
      orgId,
      prefixedId("evt"),
      TEST_EVENT_TYPE,
      { endpoint_id: endpointId, message: "A test event from Switchboard" },
      [endpointId],
      this.activity.auditStatement({
        orgId,
        actor,
        action: "event_endpoint.test_sent",
        targetType: "event_endpoint",
        targetId: endpointId,
      }),
    );
    return { event, delivery: await this.log.getDelivery(orgId, endpointId, deliveryIds[0] as string) };
  }

  /**
   * Stores an event and its deliveries in one batch (`extra`, main-database statements, after
   * it), then enqueues the deliveries. An event id that exists already (a keyed emit repeated)
   * keeps its row; the deliveries not yet attempted are enqueued again, which is harmless (the
   * consumer claims a delivery before attempting it).
   */
  private async record(
    orgId: string,
    id: string,
    type: string,
    data: Record<string, unknown>,
    endpointIds: string[],
    ...extra: Statement[]
  ): Promise<{ event: EventRow; deliveryIds: string[] }> {
    const createdAt = isoNow();
    const event: EventRow = { id, orgId, type, payload: scrubErrors(data), createdAt };
    const db = this.shards.of(orgId);
    if (endpointIds.length === 0 && extra.length === 0) {
      // No endpoint wants it: the event is only logged (emitted again, the first one stands).
      await db.insert(events).values(event).onConflictDoNothing();
      return { event, deliveryIds: [] };
    }
    const [inserted] = (await batchAcross(this.db, [
      on(db, db.insert(events).values(event).onConflictDoNothing()),
      ...endpointIds.map((endpointId) =>
        on(
          db,
          db
            .insert(eventDeliveries)
            .values({
              id: prefixedId("dlv"),
              orgId,
              eventId: id,
              endpointId,
              status: "pending",
              createdAt,
              updatedAt: createdAt,
            })
            .onConflictDoNothing(),
        ),
      ),
      ...extra,
    ])) as [D1Result];
    const fresh = inserted.meta.changes === 1;
    const rows = await db
      .select({ id: eventDeliveries.id, status: eventDeliveries.status, attempts: eventDeliveries.attempts })
      .from(eventDeliveries)
      .where(and(eq(eventDeliveries.orgId, orgId), eq(eventDeliveries.eventId, id)))
      .orderBy(eventDeliveries.id);
    const deliveryIds = rows.map((r) => r.id);
    await enqueueDeliveries(
      this.jobs,
      orgId,
      rows.filter((r) => fresh || (r.status === "pending" && r.attempts === 0)).map((r) => r.id),
    );
    const stored = fresh
      ? event
      : ((await db.select().from(events).where(eq(events.id, id)).limit(1))[0] ?? event);
    return { event: stored, deliveryIds };
  }

  /** The organization's enabled endpoints and their filters, from the isolate's cache when fresh. */
  private async subscribers(orgId: string): Promise<Subscriber[]> {
    const cached = subscriberCache.get(orgId);
    if (cached && cached.until > Date.now()) return cached.endpoints;
    const endpoints = await this.db
      .select({ id: eventEndpoints.id, eventTypes: eventEndpoints.eventTypes })
      .from(eventEndpoints)
      .where(and(eq(eventEndpoints.orgId, orgId), eq(eventEndpoints.status, "enabled")))
      .limit(MAX_ENDPOINTS);
    if (subscriberCache.size >= 10_000) subscriberCache.clear();
    subscriberCache.set(orgId, { until: Date.now() + SUBSCRIBERS_TTL_MS, endpoints });
    return endpoints;
  }
}
