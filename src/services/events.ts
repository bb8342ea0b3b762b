/**
 * Events to the host app (SPEC §10): per-organization endpoints, events fanned out to the
 * endpoints that subscribe to their type, delivered from the queue signed the Standard Webhooks
 * way (providers.md §20), with a log of every attempt.
 *
 * - An endpoint's signing secret (`whsec_` + base64 of 32 random bytes) is shown once, on
 *   creation and on rotation, and stored encrypted by the vault with the endpoint id in the
 *   associated data. After a rotation the previous secret also signs for 24 hours, so a receiver
 *   that still holds it keeps verifying (the header carries one `v1,` signature per secret).
 * - One delivery row per event and endpoint. The queue consumer claims a delivery with a lease
 *   (compare-and-set, as messages do), so a delivery is never attempted twice at once.
 * - Retries follow Svix's schedule. The next attempt is a new queue message with a delay rather
 *   than a `retry()` of the current one: eight attempts need more retries than the queue's
 *   `max_retries`, and a fresh message is not counted against it.
 */
import { and, count, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Settings } from "../config.ts";
import { fromBase64, randomBytes, toBase64, utf8 } from "../crypto/encoding.ts";
import { sha256Hex } from "../crypto/hash.ts";
import type { Vault } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import {
  type EventAttemptRow,
  type EventDeliveryRow,
  type EventEndpointRow,
  type EventRow,
  eventAttempts,
  eventDeliveries,
  eventEndpoints,
  events,
} from "../db/schema.ts";
import { ApiError, ErrorCode, notFound } from "../errors.ts";
import { prefixedId } from "../lib/ids.ts";
import type { Logger } from "../lib/log.ts";
import { checkOutboundUrl, OutboundRefused, OutboundUnreachable } from "../lib/outbound.ts";
import { decodeCursor, encodeCursor, pageOf } from "../lib/pagination.ts";
import { redactTokens } from "../lib/redact.ts";
import { type HttpClient, retryAfterSeconds } from "../providers/runtime.ts";
import type { JobMessage } from "../queue/messages.ts";
import type { Activity } from "./activity.ts";

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
const MAX_QUEUE_DELAY_SECONDS = 43_200;
/** How long the previous secret keeps signing after a rotation. */
export const SECRET_GRACE_MS = 24 * 3_600_000;
/** Endpoints per organization: bounds the fan-out of one event. */
export const MAX_ENDPOINTS = 50;

/**
 * Per-isolate cache of each organization's enabled endpoints, read by every emit. Endpoint
 * writes in this isolate drop it at once; other isolates see a change within the TTL.
 */
const SUBSCRIBERS_TTL_MS = 5_000;
interface Subscriber {
  id: string;
  eventTypes: string[] | null;
}
const subscriberCache = new Map<string, { until: number; endpoints: Subscriber[] }>();
const forgetSubscribers = (orgId: string) => subscriberCache.delete(orgId);
/** How much of an endpoint's answer the attempt log keeps. */
const RESPONSE_SNIPPET_BYTES = 1024;
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
/** Statuses whose Retry-After is honoured (Standard Webhooks: slow down on 429/502/504). */
const RETRY_AFTER_STATUSES = new Set([429, 502, 503, 504]);
const USER_AGENT = "Switchboard-Webhooks/1";
/** Deliveries untouched this long while pending were lost by the queue (see `requeueStuck`). */
const STUCK_AFTER_MS = 15 * 60_000;

// ---- signing -------------------------------------------------------------------------------

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes. */
export const generateSecret = (): string => `whsec_${toBase64(randomBytes(32))}`;

/** The HMAC key of a secret: the base64-decoded part after `whsec_` (not the string itself). */
function secretKeyBytes(secret: string): Uint8Array<ArrayBuffer> {
  return fromBase64(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret);
}

/**
 * The Standard Webhooks v1 signature of one message: `v1,` + base64 HMAC-SHA256 over
 * `${id}.${timestamp}.${body}`, keyed with the decoded secret.
 */
export async function signStandardWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    secretKeyBytes(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = await crypto.subtle.sign("HMAC", key, utf8(`${id}.${timestamp}.${body}`));
  return `v1,${toBase64(mac)}`;
}

/** What the vault holds for an endpoint: the secret, and during a grace the previous one. */
interface SigningSecrets {
  secret: string;
  previous_secret?: string;
  /** ISO time after which the previous secret no longer signs. */
  previous_expires_at?: string;
}

/** The secrets that sign now: the current one, and the previous one until its grace ends. */
function activeSecrets(s: SigningSecrets, now: number): string[] {
  const out = [s.secret];
  if (s.previous_secret && s.previous_expires_at && Date.parse(s.previous_expires_at) > now)
    out.push(s.previous_secret);
  return out;
}

/** The body delivered for an event: Standard Webhooks' recommended `{type, timestamp, data}`. */
export const eventBody = (e: EventRow): string =>
  JSON.stringify({ type: e.type, timestamp: e.createdAt, data: e.payload });

// ---- views ---------------------------------------------------------------------------------

export function endpointView(e: EventEndpointRow) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    event_types: e.eventTypes,
    status: e.status,
    disabled_reason: e.disabledReason,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

export function eventView(e: EventRow) {
  return { id: e.id, type: e.type, data: e.payload, created_at: e.createdAt };
}

export type DeliveryWithEvent = EventDeliveryRow & { eventType: string | null; attemptCount: number };

export function deliveryView(d: DeliveryWithEvent) {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    endpoint_id: d.endpointId,
    status: d.status,
    attempts: d.attemptCount,
    next_attempt_at: d.nextAttemptAt,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    delivered_at: d.deliveredAt,
  };
}

export function attemptView(a: EventAttemptRow) {
  return {
    id: a.id,
    attempt: a.attempt,
    status_code: a.statusCode,
    latency_ms: a.latencyMs,
    error: a.error,
    response_body: a.responseBody,
    created_at: a.createdAt,
  };
}

// ---- the service ---------------------------------------------------------------------------

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

/** What one delivery job did. Assignable to the consumer's JobResult. */
export type DeliveryResult =
  | {
      action: "ack";
      status: EventDeliveryRow["status"] | "missing";
      /** Set when the attempt failed and the next one is queued this many seconds from now. */
      nextAttemptInSeconds?: number;
    }
  | { action: "retry"; delaySeconds: number; reason: string }
  | { action: "dead-letter"; reason: string };

/** The result of one POST to an endpoint. */
interface AttemptOutcome {
  statusCode: number | null;
  error: string | null;
  responseBody: string | null;
  retryAfter?: number;
  latencyMs: number;
  /** The SSRF guard refused the URL: no request was made. */
  refused?: boolean;
}

const invalid = (path: string, message: string) =>
  new ApiError(ErrorCode.INVALID_FIELD, `${path}: ${message}`, { issues: [{ path, message }] });

const isoNow = () => new Date().toISOString();

/** The id of a keyed event: the same cause always gives the same event (and `webhook-id`). */
const keyedEventId = async (orgId: string, type: string, key: string) =>
  `evt_${(await sha256Hex(`${orgId}\n${type}\n${key}`)).slice(0, 32)}`;

export class Events {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly vault: () => Promise<Vault>,
    private readonly settings: Settings,
    private readonly http: HttpClient,
    private readonly jobs: Queue,
  ) {}

  /** How long one consumer owns a delivery it is attempting: longer than any attempt. */
  private get leaseMs() {
    return Math.max(60_000, 2 * this.settings.PROVIDER_TIMEOUT_MS + 10_000);
  }

  // ---- endpoints -----------------------------------------------------------------------------

  /** An endpoint URL as stored: https (http only where private URLs are allowed), public host. */
  private checkUrl(raw: string): string {
    const check = checkOutboundUrl(raw, this.settings.ALLOW_PRIVATE_URLS);
    if (!check.ok) throw invalid("url", check.reason);
    if (check.url.protocol !== "https:" && !this.settings.ALLOW_PRIVATE_URLS)
      throw invalid("url", "must use https");
    return check.url.toString();
  }

  private async encryptSecrets(orgId: string, endpointId: string, secrets: SigningSecrets) {
    const vault = await this.vault();
    return vault.encrypt(orgId, endpointId, { ...secrets });
  }

  private async secretsOf(row: EventEndpointRow): Promise<SigningSecrets> {
    const vault = await this.vault();
    const s = await vault.decrypt(row.orgId, row.id, row.secret, row.keyVersion);
    if (!s.secret) throw new Error(`event endpoint ${row.id} has no signing secret`);
    return s as unknown as SigningSecrets;
  }

  /** Creates an endpoint; the answer holds its signing secret, which is never shown again. */
  async createEndpoint(
    orgId: string,
    input: EndpointInput,
    actor: string,
  ): Promise<{ endpoint: EventEndpointRow; secret: string }> {
    const url = this.checkUrl(input.url);
    const [{ n = 0 } = {}] = await this.db
      .select({ n: count() })
      .from(eventEndpoints)
      .where(eq(eventEndpoints.orgId, orgId));
    if (n >= MAX_ENDPOINTS)
      throw new ApiError(
        ErrorCode.CONFLICT,
        `An organization can have at most ${MAX_ENDPOINTS} event endpoints`,
      );
    const id = prefixedId("ep");
    const secret = generateSecret();
    const enc = await this.encryptSecrets(orgId, id, { secret });
    const now = isoNow();
    forgetSubscribers(orgId);
    await this.db.batch([
      this.db.insert(eventEndpoints).values({
        id,
        orgId,
        url,
        description: input.description ?? null,
        eventTypes: input.eventTypes ?? null,
        secret: enc.ciphertext,
        keyVersion: enc.keyVersion,
        status: "enabled",
        createdAt: now,
        updatedAt: now,
      }),
      this.activity.auditStatement({
        orgId,
        actor,
        action: "event_endpoint.created",
        targetType: "event_endpoint",
        targetId: id,
        details: { url, event_types: input.eventTypes ?? null },
      }),
    ]);
    return { endpoint: await this.getEndpoint(orgId, id), secret };
  }

  async listEndpoints(orgId: string, f: { cursor?: string; limit: number }) {
    const after = decodeCursor(f.cursor);
    const rows = await this.db
      .select()
      .from(eventEndpoints)
      .where(and(eq(eventEndpoints.orgId, orgId), after ? lt(eventEndpoints.id, after) : undefined))
      .orderBy(desc(eventEndpoints.id))
      .limit(f.limit + 1);
    return pageOf(rows, f.limit);
  }

  /** The organization's endpoint `id`; another tenant's or a missing one is a 404. */
  async getEndpoint(orgId: string, id: string): Promise<EventEndpointRow> {
    const rows = await this.db
      .select()
      .from(eventEndpoints)
      .where(and(eq(eventEndpoints.orgId, orgId), eq(eventEndpoints.id, id)))
      .limit(1);
    if (!rows[0]) throw notFound("Event endpoint");
    return rows[0];
  }

  /** Updates an endpoint. Enabling clears the reason it was disabled. */
  async updateEndpoint(orgId: string, id: string, patch: EndpointPatch, actor: string) {
    const existing = await this.getEndpoint(orgId, id);
    const set: Partial<typeof eventEndpoints.$inferInsert> = {
      updatedAt: new Date(Math.max(Date.now(), Date.parse(existing.updatedAt) + 1)).toISOString(),
    };
    if (patch.url !== undefined) set.url = this.checkUrl(patch.url);
    if (patch.description !== undefined) set.description = patch.description;
    if (patch.eventTypes !== undefined) set.eventTypes = patch.eventTypes;
    if (patch.status !== undefined && patch.status !== existing.status) {
      set.status = patch.status;
      set.disabledReason = patch.status === "enabled" ? null : `disabled by ${actor}`;
    }
    const changed = Object.keys(patch).filter((k) => patch[k as keyof EndpointPatch] !== undefined);
    forgetSubscribers(orgId);
    await this.db.batch([
      this.db
        .update(eventEndpoints)
        .set(set)
        .where(and(eq(eventEndpoints.orgId, orgId), eq(eventEndpoints.id, id))),
      this.activity.auditStatement({
        orgId,
        actor,
        action: "event_endpoint.updated",
        targetType: "event_endpoint",
        targetId: id,
        details: { changed, status: set.status ?? existing.status },
      }),
    ]);
    return this.getEndpoint(orgId, id);
  }

  /** Deletes an endpoint with its delivery log; its queued deliveries are dropped unsent. */
  async deleteEndpoint(orgId: string, id: string, actor: string): Promise<EventEndpointRow> {
    const existing = await this.getEndpoint(orgId, id);
    forgetSubscribers(orgId);
    await this.db.batch([
      this.db.delete(eventEndpoints).where(and(eq(eventEndpoints.orgId, orgId), eq(eventEndpoints.id, id))),
      this.db
        .delete(eventAttempts)
        .where(and(eq(eventAttempts.orgId, orgId), eq(eventAttempts.endpointId, id))),
      this.db
        .delete(eventDeliveries)
        .where(and(eq(eventDeliveries.orgId, orgId), eq(eventDeliveries.endpointId, id))),
      this.activity.auditStatement({
        orgId,
        actor,
        action: "event_endpoint.deleted",
        targetType: "event_endpoint",
        targetId: id,
        details: { url: existing.url },
      }),
    ]);
    return existing;
  }

  /**
   * Replaces the signing secret. The new secret is returned once; the previous one keeps signing
   * (as a second signature) until `previousExpiresAt`. The write is a compare-and-set on the
   * ciphertext, so a concurrent rotation or key re-encryption is never overwritten.
   */
  async rotateSecret(orgId: string, id: string, actor: string, now = Date.now()) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const existing = await this.getEndpoint(orgId, id);
      const current = await this.secretsOf(existing);
      const secret = generateSecret();
      const previousExpiresAt = new Date(now + SECRET_GRACE_MS).toISOString();
      const enc = await this.encryptSecrets(orgId, id, {
        secret,
        previous_secret: current.secret,
        previous_expires_at: previousExpiresAt,
      });
      const result = await this.db
        .update(eventEndpoints)
        .set({
          secret: enc.ciphertext,
          keyVersion: enc.keyVersion,
          updatedAt: new Date(Math.max(now, Date.parse(existing.updatedAt) + 1)).toISOString(),
        })
        .where(
          and(
            eq(eventEndpoints.orgId, orgId),
            eq(eventEndpoints.id, id),
            eq(eventEndpoints.secret, existing.secret),
          ),
        )
        .run();
      if (result.meta.changes !== 1) continue;
      await this.db.batch([
        this.activity.auditStatement({
          orgId,
          actor,
          action: "event_endpoint.secret_rotated",
          targetType: "event_endpoint",
          targetId: id,
          details: { previous_secret_expires_at: previousExpiresAt },
        }),
      ]);
      return { endpoint: await this.getEndpoint(orgId, id), secret, previousExpiresAt };
    }
    throw new ApiError(ErrorCode.CONFLICT, "The endpoint was changed by another request meanwhile; retry");
  }

  // ---- events --------------------------------------------------------------------------------

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
    const statements = [];
    for (let i = 0; i < unwanted.length; i += 20)
      statements.push(
        this.db
          .insert(events)
          .values(unwanted.slice(i, i + 20))
          .onConflictDoNothing(),
      );
    const [first, ...rest] = statements;
    if (first) await this.db.batch([first, ...rest]);
  }

  /** Sends a test event to one endpoint (whatever its filter), so its owner can see it work. */
  async sendTest(orgId: string, endpointId: string, actor: string) {
    const endpoint = await this.getEndpoint(orgId, endpointId);
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
    return { event, delivery: await this.getDelivery(orgId, endpointId, deliveryIds[0] as string) };
  }

  /**
   * Stores an event and its deliveries in one batch, then enqueues the deliveries. An event id
   * that exists already (a keyed emit repeated) keeps its row; the deliveries not yet attempted
   * are enqueued again, which is harmless (the consumer claims a delivery before attempting it).
   */
  private async record(
    orgId: string,
    id: string,
    type: string,
    data: Record<string, unknown>,
    endpointIds: string[],
    ...extra: BatchItem<"sqlite">[]
  ): Promise<{ event: EventRow; deliveryIds: string[] }> {
    const createdAt = isoNow();
    const event: EventRow = { id, orgId, type, payload: scrubErrors(data), createdAt };
    if (endpointIds.length === 0 && extra.length === 0) {
      // No endpoint wants it: the event is only logged (emitted again, the first one stands).
      await this.db.insert(events).values(event).onConflictDoNothing();
      return { event, deliveryIds: [] };
    }
    const inserted = await this.db.batch([
      this.db.insert(events).values(event).onConflictDoNothing(),
      ...endpointIds.map((endpointId) =>
        this.db
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
      ...extra,
    ]);
    const fresh = inserted[0].meta.changes === 1;
    const rows = await this.db
      .select({ id: eventDeliveries.id, status: eventDeliveries.status, attempts: eventDeliveries.attempts })
      .from(eventDeliveries)
      .where(and(eq(eventDeliveries.orgId, orgId), eq(eventDeliveries.eventId, id)))
      .orderBy(eventDeliveries.id);
    const deliveryIds = rows.map((r) => r.id);
    await this.enqueue(
      orgId,
      rows.filter((r) => fresh || (r.status === "pending" && r.attempts === 0)).map((r) => r.id),
    );
    const stored = fresh
      ? event
      : ((await this.db.select().from(events).where(eq(events.id, id)).limit(1))[0] ?? event);
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

  private async enqueue(orgId: string, deliveryIds: string[]) {
    for (let i = 0; i < deliveryIds.length; i += 100) {
      await this.jobs.sendBatch(
        deliveryIds.slice(i, i + 100).map((deliveryId) => ({
          body: { type: "event.deliver", orgId, deliveryId } satisfies JobMessage,
        })),
      );
    }
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
    const rows = await this.db
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

  private deliveryQuery() {
    return this.db
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
    await this.getEndpoint(orgId, endpointId);
    const after = decodeCursor(f.cursor);
    const rows = await this.deliveryQuery()
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
    const rows = await this.deliveryQuery()
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
    return this.db
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
    const endpoint = await this.getEndpoint(orgId, endpointId);
    const d = await this.getDelivery(orgId, endpointId, deliveryId);
    if (endpoint.status !== "enabled")
      throw new ApiError(ErrorCode.CONFLICT, "The endpoint is disabled; enable it before redelivering");
    if (d.status === "delivering" && (d.leaseUntil ?? 0) > now)
      throw new ApiError(ErrorCode.CONFLICT, "The delivery is being attempted right now; retry shortly");
    const reset = await this.db
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
    await this.enqueue(orgId, [d.id]);
    return this.getDelivery(orgId, endpointId, deliveryId);
  }

  // ---- delivery (the queue consumer's work) --------------------------------------------------

  /**
   * One delivery attempt. Idempotent: a finished delivery is acknowledged without a request; one
   * another consumer holds is retried after its lease; a message that arrives before the
   * delivery's next scheduled attempt waits for it.
   */
  async deliver(orgId: string, deliveryId: string, log: Logger, now = Date.now()): Promise<DeliveryResult> {
    const rows = await this.db
      .select()
      .from(eventDeliveries)
      .where(and(eq(eventDeliveries.orgId, orgId), eq(eventDeliveries.id, deliveryId)))
      .limit(1);
    const d = rows[0];
    if (!d) return { action: "ack", status: "missing" };
    if (d.status === "succeeded" || d.status === "failed") return { action: "ack", status: d.status };
    if (d.status === "pending" && d.nextAttemptAt) {
      const wait = Math.ceil((Date.parse(d.nextAttemptAt) - now) / 1000);
      if (wait > 1)
        return {
          action: "retry",
          delaySeconds: Math.min(wait, MAX_QUEUE_DELAY_SECONDS),
          reason: "the next attempt is scheduled later",
        };
    }
    const endpoints = await this.db
      .select()
      .from(eventEndpoints)
      .where(and(eq(eventEndpoints.orgId, orgId), eq(eventEndpoints.id, d.endpointId)))
      .limit(1);
    const endpoint = endpoints[0];
    if (endpoint?.status !== "enabled") {
      await this.db
        .update(eventDeliveries)
        .set({
          status: "failed",
          leaseUntil: null,
          nextAttemptAt: null,
          lastError: endpoint ? "the endpoint is disabled" : "the endpoint no longer exists",
          updatedAt: isoNow(),
        })
        .where(and(eq(eventDeliveries.id, d.id), inArray(eventDeliveries.status, ["pending", "delivering"])));
      return { action: "ack", status: "failed" };
    }
    const claimed = await this.db
      .update(eventDeliveries)
      .set({
        status: "delivering",
        attempts: sql`${eventDeliveries.attempts} + 1`,
        leaseUntil: now + this.leaseMs,
        updatedAt: isoNow(),
      })
      .where(
        and(
          eq(eventDeliveries.id, d.id),
          eq(eventDeliveries.attempts, d.attempts),
          or(
            eq(eventDeliveries.status, "pending"),
            and(eq(eventDeliveries.status, "delivering"), lt(eventDeliveries.leaseUntil, now)),
          ),
        ),
      )
      .run();
    if (claimed.meta.changes !== 1) {
      const wait = Math.max(1, Math.ceil(((d.leaseUntil ?? now) - now) / 1000));
      return { action: "retry", delaySeconds: wait, reason: "another consumer is delivering this event" };
    }
    const attempt = d.attempts + 1;
    let outcome: AttemptOutcome;
    try {
      const eventRows = await this.db
        .select()
        .from(events)
        .where(and(eq(events.orgId, orgId), eq(events.id, d.eventId)))
        .limit(1);
      const event = eventRows[0];
      if (!event) {
        await this.finish(d, attempt, "failed", { statusCode: null, error: "the event no longer exists" });
        return { action: "ack", status: "failed" };
      }
      const secrets = await this.secretsOf(endpoint);
      const body = eventBody(event);
      const timestamp = Math.floor(now / 1000);
      const signatures = await Promise.all(
        activeSecrets(secrets, now).map((s) => signStandardWebhook(s, event.id, timestamp, body)),
      );
      outcome = await this.post(endpoint.url, body, {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": event.id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": signatures.join(" "),
      });
    } catch (e) {
      // Nothing was sent (the vault or D1 failed): release the lease so the retry can claim it.
      await this.db
        .update(eventDeliveries)
        .set({ status: "pending", attempts: d.attempts, leaseUntil: null })
        .where(
          and(
            eq(eventDeliveries.id, d.id),
            eq(eventDeliveries.status, "delivering"),
            eq(eventDeliveries.attempts, attempt),
          ),
        );
      throw e;
    }
    const attemptRow = this.attemptStatement(d, endpoint.id, attempt, outcome);
    const code = outcome.statusCode;
    if (code !== null && code >= 200 && code < 300) {
      await this.finish(d, attempt, "succeeded", outcome, attemptRow);
      return { action: "ack", status: "succeeded" };
    }
    if (code === 410) {
      const reason = `the endpoint answered 410 Gone on ${isoNow()}`;
      forgetSubscribers(orgId);
      await this.finish(d, attempt, "failed", outcome, attemptRow, [
        this.db
          .update(eventEndpoints)
          .set({ status: "disabled", disabledReason: reason, updatedAt: isoNow() })
          .where(and(eq(eventEndpoints.orgId, orgId), eq(eventEndpoints.id, endpoint.id))),
        this.activity.auditStatement({
          orgId,
          actor: "system",
          action: "event_endpoint.disabled",
          targetType: "event_endpoint",
          targetId: endpoint.id,
          details: { reason },
        }),
      ]);
      log.warn("event endpoint disabled (410 Gone)", { endpoint_id: endpoint.id, delivery_id: d.id });
      return { action: "ack", status: "failed" };
    }
    if (outcome.refused) {
      await this.finish(d, attempt, "failed", outcome, attemptRow);
      return { action: "ack", status: "failed" };
    }
    if (attempt >= MAX_DELIVERY_ATTEMPTS) {
      const reason = `gave up after ${attempt} attempts: ${outcome.error}`;
      await this.finish(d, attempt, "failed", { ...outcome, error: reason }, attemptRow);
      return { action: "dead-letter", reason };
    }
    let delaySeconds: number = RETRY_SCHEDULE[attempt] ?? MAX_QUEUE_DELAY_SECONDS;
    if (code !== null && RETRY_AFTER_STATUSES.has(code) && outcome.retryAfter !== undefined)
      delaySeconds = Math.max(delaySeconds, outcome.retryAfter);
    delaySeconds = Math.min(Math.max(1, delaySeconds), MAX_QUEUE_DELAY_SECONDS);
    await this.db.batch([
      this.db
        .update(eventDeliveries)
        .set({
          status: "pending",
          leaseUntil: null,
          lastStatusCode: code,
          lastError: outcome.error,
          nextAttemptAt: new Date(now + delaySeconds * 1000).toISOString(),
          updatedAt: isoNow(),
        })
        .where(and(eq(eventDeliveries.id, d.id), eq(eventDeliveries.attempts, attempt))),
      attemptRow,
    ]);
    // A new message rather than retry(): see the module comment. Should this send fail, the
    // consumer retries the current message, which then waits for `next_attempt_at`.
    await this.jobs.send({ type: "event.deliver", orgId, deliveryId: d.id } satisfies JobMessage, {
      delaySeconds,
    });
    log.warn("event delivery will be retried", {
      delivery_id: d.id,
      attempt,
      in_seconds: delaySeconds,
      reason: outcome.error,
    });
    return { action: "ack", status: "pending", nextAttemptInSeconds: delaySeconds };
  }

  private attemptStatement(d: EventDeliveryRow, endpointId: string, attempt: number, o: AttemptOutcome) {
    return this.db.insert(eventAttempts).values({
      id: prefixedId("att"),
      orgId: d.orgId,
      deliveryId: d.id,
      endpointId,
      attempt,
      statusCode: o.statusCode,
      latencyMs: o.latencyMs,
      error: o.error,
      // The start of the endpoint's answer, kept for its owner: credential shapes are not.
      responseBody: o.responseBody === null ? null : redactTokens(o.responseBody),
      createdAt: isoNow(),
    });
  }

  private async finish(
    d: EventDeliveryRow,
    attempt: number,
    status: "succeeded" | "failed",
    o: Pick<AttemptOutcome, "statusCode" | "error">,
    attemptRow?: ReturnType<Events["attemptStatement"]>,
    extra: BatchItem<"sqlite">[] = [],
  ) {
    const now = isoNow();
    const update = this.db
      .update(eventDeliveries)
      .set({
        status,
        leaseUntil: null,
        nextAttemptAt: null,
        lastStatusCode: o.statusCode,
        lastError: status === "succeeded" ? null : o.error,
        deliveredAt: status === "succeeded" ? now : null,
        updatedAt: now,
      })
      .where(and(eq(eventDeliveries.id, d.id), eq(eventDeliveries.attempts, attempt)));
    await this.db.batch([update, ...(attemptRow ? [attemptRow] : []), ...extra]);
  }

  /**
   * POSTs one signed body through the hub's outbound path (the URL checked again, as stored
   * rules may have changed, and where the connection is made), without following redirects
   * (a 3xx is a failed attempt), within the timeout.
   */
  private async post(url: string, body: string, headers: Record<string, string>): Promise<AttemptOutcome> {
    const check = checkOutboundUrl(url, this.settings.ALLOW_PRIVATE_URLS);
    if (!check.ok || (check.url.protocol !== "https:" && !this.settings.ALLOW_PRIVATE_URLS)) {
      const reason = check.ok ? "must use https" : check.reason;
      return {
        statusCode: null,
        error: `URL refused: ${reason}`,
        responseBody: null,
        latencyMs: 0,
        refused: true,
      };
    }
    const timeoutMs = this.settings.PROVIDER_TIMEOUT_MS;
    const controller = new AbortController();
    const started = Date.now();
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
        reject(new Error("timeout"));
      }, timeoutMs);
    });
    try {
      const request = new Request(check.url, {
        method: "POST",
        headers,
        body,
        redirect: "manual",
        signal: controller.signal,
      });
      const res = await Promise.race([this.http(request), timeout]);
      const text = await Promise.race([readStart(res, RESPONSE_SNIPPET_BYTES), timeout]);
      const ok = res.status >= 200 && res.status < 300;
      return {
        statusCode: res.status,
        error: ok ? null : `the endpoint answered HTTP ${res.status}`,
        responseBody: text,
        retryAfter: retryAfterSeconds(res.headers.get("retry-after")),
        latencyMs: Date.now() - started,
      };
    } catch (e) {
      // The outbound path says why a destination was refused or could not be reached.
      const said = e instanceof OutboundRefused || e instanceof OutboundUnreachable ? e.message : undefined;
      return {
        statusCode: null,
        error: timedOut
          ? `no answer within ${timeoutMs} ms (timeout)`
          : (said ?? "could not reach the endpoint (network error)"),
        responseBody: null,
        latencyMs: Date.now() - started,
      };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  /**
   * Re-enqueues deliveries the queue lost (an enqueue that failed after the rows were stored, or
   * a message dead-lettered by the queue itself). For a scheduled job; idempotent, since the
   * consumer claims a delivery before attempting it and waits for `next_attempt_at`.
   */
  async requeueStuck(now = Date.now(), limit = 100): Promise<number> {
    const before = new Date(now - STUCK_AFTER_MS).toISOString();
    const stuck = await this.db
      .select({ id: eventDeliveries.id, orgId: eventDeliveries.orgId })
      .from(eventDeliveries)
      .where(
        and(
          lt(eventDeliveries.updatedAt, before),
          or(
            and(
              eq(eventDeliveries.status, "pending"),
              or(isNull(eventDeliveries.nextAttemptAt), lt(eventDeliveries.nextAttemptAt, before)),
            ),
            and(eq(eventDeliveries.status, "delivering"), lt(eventDeliveries.leaseUntil, now)),
          ),
        ),
      )
      .limit(limit);
    for (let i = 0; i < stuck.length; i += 100) {
      await this.jobs.sendBatch(
        stuck.slice(i, i + 100).map((d) => ({
          body: { type: "event.deliver", orgId: d.orgId, deliveryId: d.id } satisfies JobMessage,
        })),
      );
    }
    return stuck.length;
  }
}

/** The first `max` bytes of a response body as text; the rest is not read. */
async function readStart(res: Response, max: number): Promise<string | null> {
  if (!res.body) return null;
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < max) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const all = new Uint8Array(Math.min(size, max));
  let offset = 0;
  for (const c of chunks) {
    const part = c.subarray(0, all.length - offset);
    all.set(part, offset);
    offset += part.length;
    if (offset >= all.length) break;
  }
  return new TextDecoder().decode(all);
}
