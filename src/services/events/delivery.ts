/**
 * Delivering events (the queue consumer's work): one attempt claims the delivery with a lease
 * (compare-and-set, as messages do), POSTs the signed body through the outbound path and records
 * the attempt. Retries follow Svix's schedule: the next attempt is a new queue message with a
 * delay rather than a `retry()` of the current one, since eight attempts need more retries than
 * the queue's `max_retries` and a fresh message is not counted against it.
 */
import { and, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Settings } from "../../config.ts";
import type { Db } from "../../db/client.ts";
import {
  type EventDeliveryRow,
  eventAttempts,
  eventDeliveries,
  eventEndpoints,
  events,
} from "../../db/schema.ts";
import { prefixedId } from "../../lib/ids.ts";
import type { Logger } from "../../lib/log.ts";
import {
  checkOutboundUrl,
  OutboundRefused,
  OutboundTimeout,
  OutboundUnreachable,
  withTimeout,
} from "../../lib/outbound.ts";
import { redactTokens } from "../../lib/redact.ts";
import { type HttpClient, retryAfterSeconds } from "../../providers/runtime.ts";
import type { JobMessage } from "../../queue/messages.ts";
import type { Activity } from "../activity.ts";
import type { EventEndpoints } from "./endpoints.ts";
import {
  type DeliveryResult,
  type EventsDeps,
  forgetSubscribers,
  isoNow,
  MAX_DELIVERY_ATTEMPTS,
  MAX_QUEUE_DELAY_SECONDS,
  RETRY_AFTER_STATUSES,
  RETRY_SCHEDULE,
  STUCK_AFTER_MS,
  USER_AGENT,
} from "./shared.ts";
import { activeSecrets, eventBody, signStandardWebhook } from "./signing.ts";

/** How much of an endpoint's answer the attempt log keeps. */
const RESPONSE_SNIPPET_BYTES = 1024;

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

export class EventDelivery {
  private readonly db: Db;
  private readonly activity: Activity;
  private readonly settings: Settings;
  private readonly http: HttpClient;
  private readonly jobs: Queue;

  constructor(
    deps: EventsDeps,
    private readonly endpoints: EventEndpoints,
  ) {
    this.db = deps.db;
    this.activity = deps.activity;
    this.settings = deps.settings;
    this.http = deps.http;
    this.jobs = deps.jobs;
  }

  /** How long one consumer owns a delivery it is attempting: longer than any attempt. */
  private get leaseMs() {
    return Math.max(60_000, 2 * this.settings.PROVIDER_TIMEOUT_MS + 10_000);
  }

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
      const secrets = await this.endpoints.secretsOf(endpoint);
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
    attemptRow?: ReturnType<EventDelivery["attemptStatement"]>,
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
    const started = Date.now();
    try {
      // The time covers the answer and the start of its body.
      const { res, text } = await withTimeout(timeoutMs, async (signal) => {
        const request = new Request(check.url, { method: "POST", headers, body, redirect: "manual", signal });
        const res = await this.http(request);
        return { res, text: await readStart(res, RESPONSE_SNIPPET_BYTES) };
      });
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
        error:
          e instanceof OutboundTimeout ? e.message : (said ?? "could not reach the endpoint (network error)"),
        responseBody: null,
        latencyMs: Date.now() - started,
      };
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
