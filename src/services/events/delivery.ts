/**
 * Delivering events (the queue consumer's work), a kind of job of the job engine: an attempt
 * claims the delivery, POSTs the signed body through the outbound path and records the attempt.
 * Retries follow Svix's schedule without jitter, a Retry-After only lengthening a wait; the
 * eighth failure is a dead letter. A 410 Gone disables the endpoint.
 */
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Settings } from "../../config.ts";
import { on } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import {
  type EventDeliveryRow,
  eventAttempts,
  eventDeliveries,
  eventEndpoints,
  events,
} from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import type { RetryPolicy } from "../../jobs/backoff.ts";
import { JobEngine, retryTime } from "../../jobs/engine.ts";
import type { Claimed, JobKind, Outcome, RunResult, Statement } from "../../jobs/kind.ts";
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
import type { Activity } from "../activity.ts";
import type { EventEndpoints } from "./endpoints.ts";
import {
  type EventsDeps,
  forgetSubscribers,
  isoNow,
  MAX_DELIVERY_ATTEMPTS,
  RETRY_AFTER_STATUSES,
  RETRY_SCHEDULE,
  STUCK_AFTER_MS,
  USER_AGENT,
} from "./shared.ts";
import { activeSecrets, eventBody, signStandardWebhook } from "./signing.ts";

/** Standard Webhooks' schedule as Svix runs it, exactly; a Retry-After may only lengthen a wait. */
const DELIVERY_POLICY: RetryPolicy = {
  maxAttempts: MAX_DELIVERY_ATTEMPTS,
  schedule: RETRY_SCHEDULE,
  jitter: 0,
  retryAfter: "at-least",
};

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
  private readonly shards: Shards;
  private readonly activity: Activity;
  private readonly settings: Settings;
  private readonly http: HttpClient;
  private readonly engine: JobEngine;

  constructor(
    deps: EventsDeps,
    private readonly endpoints: EventEndpoints,
  ) {
    this.db = deps.db;
    this.shards = deps.shards;
    this.activity = deps.activity;
    this.settings = deps.settings;
    this.http = deps.http;
    this.engine = new JobEngine(deps.db, deps.jobs);
  }

  /** How long one consumer owns a delivery it is attempting: longer than any attempt. */
  private get leaseMs() {
    return Math.max(60_000, 2 * this.settings.PROVIDER_TIMEOUT_MS + 10_000);
  }

  /**
   * One delivery attempt, through the job engine. Idempotent: a finished delivery is
   * acknowledged without a request; one another worker holds is looked at again after its
   * lease; a message that arrives before the delivery's next scheduled attempt waits for it.
   */
  deliver(orgId: string, deliveryId: string, log: Logger, now = Date.now()): Promise<RunResult> {
    return this.engine.run(this.deliverJob, orgId, [deliveryId], log, now);
  }

  /** The `event.deliver` job kind. */
  get deliverJob(): JobKind<EventDeliveryRow> {
    return {
      type: "event.deliver",
      table: eventDeliveries,
      shards: this.shards,
      waiting: ["pending"],
      running: "delivering",
      leaseMs: this.leaseMs,
      policy: DELIVERY_POLICY,
      ...retryTime(eventDeliveries.nextAttemptAt),
      messages: (orgId, ids) => ids.map((deliveryId) => ({ type: "event.deliver", orgId, deliveryId })),
      run: (job) => this.attempt(job),
      retrying: (_d, w) => ({
        status: "pending",
        lastError: w.reason,
        nextAttemptAt: new Date(w.at).toISOString(),
        updatedAt: isoNow(),
      }),
      failed: (_d, reason) => ({
        status: "failed",
        lastError: reason,
        nextAttemptAt: null,
        deliveredAt: null,
        updatedAt: isoNow(),
      }),
      // Lost by the queue: an enqueue that failed after the rows were stored, or a retry's message.
      stuck: (now) => {
        const before = new Date(now - STUCK_AFTER_MS).toISOString();
        return and(
          eq(eventDeliveries.status, "pending"),
          lt(eventDeliveries.updatedAt, before),
          or(isNull(eventDeliveries.nextAttemptAt), lt(eventDeliveries.nextAttemptAt, before)),
        );
      },
    };
  }

  /** One POST of a claimed delivery to its endpoint, signed, and what it came to. */
  private async attempt({ row: d, attempt, now, log }: Claimed<EventDeliveryRow>): Promise<Outcome> {
    const [endpoint] = await this.db
      .select()
      .from(eventEndpoints)
      .where(and(eq(eventEndpoints.orgId, d.orgId), eq(eventEndpoints.id, d.endpointId)))
      .limit(1);
    if (endpoint?.status !== "enabled")
      return {
        result: "failed",
        reason: endpoint ? "the endpoint is disabled" : "the endpoint no longer exists",
      };
    const [event] = await this.shards
      .of(d.orgId)
      .select()
      .from(events)
      .where(and(eq(events.orgId, d.orgId), eq(events.id, d.eventId)))
      .limit(1);
    if (!event) return { result: "failed", reason: "the event no longer exists" };
    const secrets = await this.endpoints.secretsOf(endpoint);
    const body = eventBody(event);
    const timestamp = Math.floor(now / 1000);
    const signatures = await Promise.all(
      activeSecrets(secrets, now).map((s) => signStandardWebhook(s, event.id, timestamp, body)),
    );
    const outcome = await this.post(endpoint.url, body, {
      "content-type": "application/json",
      "user-agent": USER_AGENT,
      "webhook-id": event.id,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": signatures.join(" "),
    });
    const write: Statement[] = [this.attemptStatement(d, endpoint.id, attempt, outcome)];
    const code = outcome.statusCode;
    const set = { lastStatusCode: code };
    if (code !== null && code >= 200 && code < 300) {
      const at = isoNow();
      return {
        result: "succeeded",
        set: {
          status: "succeeded",
          ...set,
          lastError: null,
          nextAttemptAt: null,
          deliveredAt: at,
          updatedAt: at,
        },
        write,
      };
    }
    if (code === 410) {
      const reason = `the endpoint answered 410 Gone on ${isoNow()}`;
      write.push(
        this.db
          .update(eventEndpoints)
          .set({ status: "disabled", disabledReason: reason, updatedAt: isoNow() })
          .where(and(eq(eventEndpoints.orgId, d.orgId), eq(eventEndpoints.id, endpoint.id))),
        this.activity.auditStatement({
          orgId: d.orgId,
          actor: "system",
          action: "event_endpoint.disabled",
          targetType: "event_endpoint",
          targetId: endpoint.id,
          details: { reason },
        }),
      );
      return {
        result: "failed",
        reason: outcome.error ?? reason,
        set,
        write,
        after: async () => {
          forgetSubscribers(d.orgId);
          log.warn("event endpoint disabled (410 Gone)", { endpoint_id: endpoint.id, delivery_id: d.id });
        },
      };
    }
    const error = outcome.error ?? `the endpoint answered HTTP ${code}`;
    if (outcome.refused) return { result: "failed", reason: error, set, write };
    const honoured = code !== null && RETRY_AFTER_STATUSES.has(code) ? outcome.retryAfter : undefined;
    return { result: "retry", reason: error, retryAfterSeconds: honoured, set, write };
  }

  /**
   * Re-enqueues deliveries nobody is working on (the minutely cron): lost by the queue, or held
   * by a worker that died. Idempotent: the engine claims a delivery before attempting it.
   */
  redrive(now = Date.now(), limit = 100): Promise<number> {
    return this.engine.redrive(this.deliverJob, now, limit);
  }

  private attemptStatement(d: EventDeliveryRow, endpointId: string, attempt: number, o: AttemptOutcome) {
    const db = this.shards.of(d.orgId);
    return on(
      db,
      db.insert(eventAttempts).values({
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
      }),
    );
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
