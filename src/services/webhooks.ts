/**
 * Inbound provider webhooks: verified at the edge, stored once, processed on the queue.
 *
 * Receiving: the integration (and its decrypted secrets) is looked up, the provider module
 * answers a handshake or verifies the raw request, and a verified delivery is stored with
 * `INSERT ... ON CONFLICT DO NOTHING` on (integration, dedupe key), so repeated deliveries find
 * the first row and are acknowledged without a second row or a second processing. The answer
 * goes back before processing; the queue job is sent after it (`waitUntil`), and a cron sweep
 * re-sends any event left pending.
 *
 * Processing: a lease in D1 (compare-and-set) gives one consumer the event; each effect is
 * idempotent (status moves only forward, inbound messages and contacts are keyed), so a crash
 * mid-way and a retry neither lose nor duplicate anything. Failures retry with backoff, then the
 * event is `failed` with its reason and dead-lettered.
 */
import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { sha256Hex } from "../crypto/hash.ts";
import type { Db } from "../db/client.ts";
import {
  type IntegrationRow,
  integrations,
  type MessageRow,
  messages,
  records,
  type WebhookEventRow,
  webhookEvents,
} from "../db/schema.ts";
import { ApiError, ErrorCode, notFound } from "../errors.ts";
import { prefixedId, UUID_RE } from "../lib/ids.ts";
import { createLogger, type Logger, redact } from "../lib/log.ts";
import { decodeCursor, pageOf } from "../lib/pagination.ts";
import { redactTokens } from "../lib/redact.ts";
import { deploymentDefaults, getProvider } from "../providers/registry.ts";
import { ProviderError } from "../providers/runtime.ts";
import type { Provider } from "../providers/types.ts";
import type {
  DeliveryStatus,
  ProviderWebhook,
  WebhookContext,
  WebhookEffect,
  WebhookRequest,
} from "../providers/webhooks.ts";
import type { JobResult } from "../queue/consumer.ts";
import type { JobMessage } from "../queue/messages.ts";
import type { Activity } from "./activity.ts";
import type { Connections } from "./connections.ts";
import type { Events, EventType } from "./events.ts";
import type { Integrations } from "./integrations.ts";
import { backoffWithJitter } from "./messages.ts";
import { cachedTarget, cacheTarget, forgetWebhookTarget, type Target } from "./webhook-targets.ts";

/** Largest webhook body accepted; larger ones get 413. */
export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Identical bodies (providers without event ids) within this window are one delivery. */
export const BODY_DEDUPE_WINDOW_MS = 24 * 60 * 60 * 1000;
/** Processing attempts before an event is `failed` and dead-lettered. */
export const MAX_PROCESS_ATTEMPTS = 5;
/** Events one `webhook.process` job carries (D1 binds at most 100 parameters a query). */
export const MAX_EVENTS_PER_JOB = 50;
/** How long one consumer owns an event it is processing. */
const LEASE_MS = 60_000;
/** At most one refused-webhook line per integration in its log per this interval. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

type Deferred = (work: Promise<unknown>) => void;
/** Records a host-app event to emit once the job's events are processed. */
type Emit = (type: EventType, data: Record<string, unknown>, key: string) => void;

const lastRefusalLog = new Map<string, number>();

/** How long processing jobs wait to be sent together; webhooks arrive in bursts. */
const ENQUEUE_WINDOW_MS = 100;
let window: { queue: Queue; byOrg: Map<string, string[]> } | null = null;

/**
 * Queues an event's processing together with the others of the same few milliseconds: one
 * queue message per organization carries up to MAX_EVENTS_PER_JOB events. The request that
 * opens a window sends it (after its response, through `defer`); an event whose send is lost
 * stays `pending` in D1 and the cron sweep queues it again.
 */
function enqueueSoon(queue: Queue, orgId: string, eventId: string, defer: Deferred) {
  const open = window;
  if (open && open.queue === queue) {
    const ids = open.byOrg.get(orgId);
    if (!ids) open.byOrg.set(orgId, [eventId]);
    else if (ids.length < MAX_EVENTS_PER_JOB) ids.push(eventId);
    else return sendNow(queue, orgId, [eventId], defer);
    return;
  }
  const fresh = { queue, byOrg: new Map([[orgId, [eventId]]]) };
  window = fresh;
  defer(
    new Promise((resolve) => setTimeout(resolve, ENQUEUE_WINDOW_MS)).then(() => {
      if (window === fresh) window = null;
      return queue.sendBatch(
        [...fresh.byOrg].map(([org, eventIds]) => ({
          body: { type: "webhook.process", orgId: org, eventIds } satisfies JobMessage,
        })),
      );
    }),
  );
}

function sendNow(queue: Queue, orgId: string, eventIds: string[], defer: Deferred) {
  defer(queue.send({ type: "webhook.process", orgId, eventIds } satisfies JobMessage));
}

type WebhookProvider = Provider & { webhook: ProviderWebhook };

function webhookProvider(id: string): WebhookProvider {
  const p = getProvider(id);
  if (!p) throw new ApiError(ErrorCode.UNKNOWN_PROVIDER, `Unknown provider "${id}"`);
  if (!p.webhook)
    throw new ApiError(ErrorCode.NOT_FOUND, `${p.displayName} sends no webhooks to Switchboard`);
  return p as WebhookProvider;
}

/** The stored event as the API shows it (003's `integration_webhooks` fields and more). */
export function webhookEventView(e: WebhookEventRow) {
  return {
    id: e.id,
    organization_id: e.orgId,
    integration_id: e.integrationId,
    provider: e.provider,
    event_type: e.eventType,
    provider_event_id: e.providerEventId,
    payload: e.payload,
    processed: e.status === "processed",
    status: e.status,
    attempts: e.attempts,
    duplicates: e.duplicates,
    result: e.result,
    last_error: e.lastError,
    received_at: e.receivedAt,
    processed_at: e.processedAt,
  };
}

export interface EventFilter {
  integrationId?: string;
  provider?: string;
  processed?: boolean;
  status?: WebhookEventRow["status"];
  type?: string;
  cursor?: string;
  limit: number;
}

/** Message statuses a delivery receipt may move a message from (status only moves forward). */
const MOVES_FROM: Record<DeliveryStatus, MessageRow["status"][]> = {
  sent: ["queued", "sending"],
  delivered: ["queued", "sending", "sent"],
  failed: ["queued", "sending", "sent"],
};

export class Webhooks {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly integrations: Integrations,
    private readonly connections: Connections,
    private readonly events: Events,
    private readonly jobs: Queue,
    /** A deployment setting by name (the environment's), for providers' `deploymentSecrets`. */
    private readonly setting: (name: string) => string | undefined,
  ) {}

  // ---- receiving ------------------------------------------------------------------------

  /** A delivery to an integration's own URL (`/webhooks/{provider}/{id}`, or 003 with `integration_id`). */
  async receive(providerId: string, integrationId: string, req: WebhookRequest, defer: Deferred) {
    const provider = webhookProvider(providerId);
    const target = await this.target(integrationId);
    if (!target || target.row.provider !== provider.id) throw notFound("Webhook endpoint");
    return this.ingest(provider, target, req, defer);
  }

  /**
   * A delivery to an organization-wide URL (001's `/webhook?org_id=`, 003 with `org_id`): the
   * integration is the one of `providerIds` whose secret verifies the request and, where several
   * do, whose routing field (Meta: `page_id`) names an id the event carries.
   */
  async receiveForOrg(providerIds: readonly string[], orgId: string, req: WebhookRequest, defer: Deferred) {
    if (!UUID_RE.test(orgId)) throw notFound("Webhook endpoint");
    const rows = await this.db
      .select({ id: integrations.id })
      .from(integrations)
      .where(and(eq(integrations.orgId, orgId), inArray(integrations.provider, [...providerIds])))
      .orderBy(desc(integrations.id))
      .limit(50);
    const candidates = (await Promise.all(rows.map((r) => this.target(r.id)))).filter(
      (t): t is Target => t !== null,
    );
    if (!candidates.length)
      throw new ApiError(
        ErrorCode.NOT_FOUND,
        "The organization has no integration that receives these webhooks",
      );

    if (req.method === "GET" || req.method === "HEAD") {
      // A URL check answers for the organization's first integration that recognises it;
      // anything else is a delivery (Vonage and Plivo can deliver with GET).
      let refusal: Response | null = null;
      for (const t of candidates) {
        const res = await webhookProvider(t.row.provider).webhook.handshake?.(req, this.contextOf(t));
        if (res?.ok) return res;
        refusal ??= res ?? null;
      }
      if (refusal) return this.handshakeAnswer(refusal);
    }

    const verified: Target[] = [];
    const refusals: { target: Target; reason: string; missingSecret?: boolean }[] = [];
    for (const t of candidates) {
      const v = await webhookProvider(t.row.provider).webhook.verify(req, this.contextOf(t));
      if (v.ok) verified.push(t);
      else refusals.push({ target: t, reason: v.reason, missingSecret: v.missingSecret });
    }
    if (!verified.length) {
      for (const r of refusals) this.noteRefusal(r.target, r.reason, r.missingSecret === true, defer);
      throw this.refusal(refusals[0]?.reason ?? "signature does not match");
    }
    const first = verified[0] as Target;
    const provider = webhookProvider(first.row.provider);
    const described = provider.webhook.describe(req);
    const ids = described ? (provider.webhook.routingIds?.(described.payload) ?? []) : [];
    const routed =
      verified.find((t) => {
        const field = webhookProvider(t.row.provider).webhook.routingField;
        const value = field ? t.row.config[field] : undefined;
        return value !== undefined && value !== "" && ids.includes(String(value));
      }) ?? (verified.length === 1 ? first : undefined);
    if (!routed) {
      createLogger({ org_id: orgId }).warn("webhook matched no integration", { ids });
      return Response.json({ received: true, routed: false });
    }
    return this.store(webhookProvider(routed.row.provider), routed, req, defer);
  }

  private async ingest(provider: WebhookProvider, target: Target, req: WebhookRequest, defer: Deferred) {
    const ctx = this.contextOf(target);
    // A URL check (Meta's hub.challenge, Mandrill's HEAD) is answered by the handshake; any
    // other request is a delivery, whatever its method (Vonage and Plivo can deliver with GET).
    if (req.method === "GET" || req.method === "HEAD") {
      const res = await provider.webhook.handshake?.(req, ctx);
      if (res) return this.handshakeAnswer(res);
    }
    const v = await provider.webhook.verify(req, ctx);
    if (!v.ok) {
      this.noteRefusal(target, v.reason, v.missingSecret === true, defer);
      throw this.refusal(v.reason, v.status);
    }
    return this.store(provider, target, req, defer);
  }

  /** Stores a verified delivery once and queues its processing; answers what the provider expects. */
  private async store(provider: WebhookProvider, target: Target, req: WebhookRequest, defer: Deferred) {
    const accept = () => provider.webhook.accept?.() ?? Response.json({ received: true });
    const described = provider.webhook.describe(req);
    if (!described) return accept();
    const row = target.row;
    // An inactive integration takes deliveries without acting on them: the provider gets the
    // answer it expects (so it stops retrying) and the delivery is kept as `ignored`, never queued.
    const ignored = !row.isActive;
    const dedupeKey = described.id ? `id:${described.id}` : `sha256:${await sha256Hex(req.body)}`;
    const insert = () =>
      this.db
        .insert(webhookEvents)
        .values({
          id: prefixedId("whe"),
          orgId: row.orgId,
          integrationId: row.id,
          provider: row.provider,
          eventType: described.type.slice(0, 200),
          providerEventId: described.id?.slice(0, 500) ?? null,
          dedupeKey,
          payload: redact(described.payload),
          ...(ignored ? { status: "ignored" as const } : {}),
        })
        .onConflictDoNothing()
        .returning({ id: webhookEvents.id });
    let inserted: { id: string }[];
    try {
      inserted = await insert();
      if (!inserted.length && !described.id && (await this.retireStaleBodyKey(row.id, dedupeKey)))
        inserted = await insert();
    } catch (e) {
      // The organization was deleted while this isolate still had its integration cached.
      if (!String(e instanceof Error ? `${e.message} ${String(e.cause ?? "")}` : e).includes("FOREIGN KEY"))
        throw e;
      forgetWebhookTarget(row.id);
      throw notFound("Webhook endpoint");
    }
    const stored = inserted[0];
    if (stored) {
      if (!ignored) enqueueSoon(this.jobs, row.orgId, stored.id, defer);
    } else {
      defer(
        this.db
          .update(webhookEvents)
          .set({ duplicates: sql`${webhookEvents.duplicates} + 1` })
          .where(and(eq(webhookEvents.integrationId, row.id), eq(webhookEvents.dedupeKey, dedupeKey))),
      );
    }
    return accept();
  }

  /**
   * Where a body hash is the dedupe key, an identical body after the window is a new event: the
   * old row's key is retired (suffixed with its id) so the new one can take it.
   */
  private async retireStaleBodyKey(integrationId: string, dedupeKey: string): Promise<boolean> {
    const before = new Date(Date.now() - BODY_DEDUPE_WINDOW_MS).toISOString();
    const retired = await this.db
      .update(webhookEvents)
      .set({ dedupeKey: sql`${webhookEvents.dedupeKey} || ':' || ${webhookEvents.id}` })
      .where(
        and(
          eq(webhookEvents.integrationId, integrationId),
          eq(webhookEvents.dedupeKey, dedupeKey),
          lt(webhookEvents.receivedAt, before),
        ),
      )
      .returning({ id: webhookEvents.id });
    return retired.length > 0;
  }

  /** A handshake the provider module refused becomes the hub's JSON error; others pass as they are. */
  private async handshakeAnswer(res: Response): Promise<Response> {
    if (res.status < 400) return res;
    throw this.refusal((await res.text()) || "verification failed", res.status);
  }

  private refusal(reason: string, status = 401): ApiError {
    const code = status === 403 ? ErrorCode.FORBIDDEN : ErrorCode.UNAUTHORIZED;
    return new ApiError(code, `Webhook refused: ${reason}`);
  }

  /**
   * A refused delivery leaves a log line and nothing else. Without a secret the integration
   * also shows why (fail closed); signature failures reach its log at most once a minute.
   */
  private noteRefusal(target: Target, reason: string, missingSecret: boolean, defer: Deferred) {
    const row = target.row;
    createLogger({ org_id: row.orgId, integration_id: row.id }).warn("webhook refused", {
      provider: row.provider,
      reason,
    });
    const now = Date.now();
    if ((lastRefusalLog.get(row.id) ?? 0) > now - REFUSAL_LOG_INTERVAL_MS) return;
    lastRefusalLog.set(row.id, now);
    const log = this.activity.logStatement({
      orgId: row.orgId,
      integrationId: row.id,
      level: "warn",
      action: "webhook.refused",
      message: `Webhook refused: ${reason}`,
    });
    if (!missingSecret) {
      defer(log);
      return;
    }
    const message = `Webhook refused: ${reason}`;
    defer(
      this.db.batch([
        log,
        this.db
          .update(integrations)
          .set({ lastError: message })
          .where(and(eq(integrations.orgId, row.orgId), eq(integrations.id, row.id))),
      ]),
    );
    defer(
      this.events.emit(row.orgId, "integration.error", {
        integration_id: row.id,
        provider: row.provider,
        name: row.name,
        status: row.status,
        error: message,
        action: "webhook.refused",
      }),
    );
    forgetWebhookTarget(row.id);
  }

  /** The integration a webhook URL names, with its secrets, from the isolate's cache when fresh. */
  private async target(integrationId: string): Promise<Target | null> {
    if (!UUID_RE.test(integrationId)) return null;
    const cached = cachedTarget(integrationId);
    if (cached) return cached;
    const rows = await this.db.select().from(integrations).where(eq(integrations.id, integrationId)).limit(1);
    const row = rows[0];
    if (!row) return null;
    if (row.disconnectedAt) {
      throw new ApiError(
        ErrorCode.NOT_FOUND,
        "This integration is disconnected; its webhooks are no longer received",
      );
    }
    return cacheTarget(row, await this.integrations.secretsOf(row));
  }

  private contextOf(t: Target): WebhookContext {
    return {
      config: t.row.config,
      secrets: t.secrets,
      defaults: deploymentDefaults(webhookProvider(t.row.provider), this.setting),
      ...(t.row.webhookVerifyToken ? { verifyToken: t.row.webhookVerifyToken } : {}),
      now: Date.now(),
    };
  }

  // ---- reading ------------------------------------------------------------------------

  async list(orgId: string, f: EventFilter) {
    const after = decodeCursor(f.cursor);
    const status = f.status ?? (f.processed === true ? "processed" : undefined);
    const rows = await this.db
      .select()
      .from(webhookEvents)
      .where(
        and(
          eq(webhookEvents.orgId, orgId),
          f.integrationId ? eq(webhookEvents.integrationId, f.integrationId) : undefined,
          f.provider ? eq(webhookEvents.provider, f.provider) : undefined,
          status ? eq(webhookEvents.status, status) : undefined,
          f.processed === false ? sql`${webhookEvents.status} <> 'processed'` : undefined,
          f.type ? eq(webhookEvents.eventType, f.type) : undefined,
          after ? lt(webhookEvents.id, after) : undefined,
        ),
      )
      .orderBy(desc(webhookEvents.id))
      .limit(f.limit + 1);
    return pageOf(rows, f.limit);
  }

  async get(orgId: string, integrationId: string, eventId: string): Promise<WebhookEventRow> {
    const rows = await this.db
      .select()
      .from(webhookEvents)
      .where(
        and(
          eq(webhookEvents.orgId, orgId),
          eq(webhookEvents.integrationId, integrationId),
          eq(webhookEvents.id, eventId),
        ),
      )
      .limit(1);
    if (!rows[0]) throw notFound("Webhook event");
    return rows[0];
  }

  /** Processes a stored event again (after fixing a configuration): it goes back on the queue. */
  async replay(orgId: string, integrationId: string, eventId: string): Promise<WebhookEventRow> {
    const row = await this.get(orgId, integrationId, eventId);
    if (row.status === "processing" && (row.leaseUntil ?? 0) > Date.now())
      throw new ApiError(ErrorCode.CONFLICT, "The event is being processed right now");
    const [updated] = await this.db
      .update(webhookEvents)
      .set({ status: "pending", attempts: 0, leaseUntil: null, lastError: null })
      .where(and(eq(webhookEvents.orgId, orgId), eq(webhookEvents.id, eventId)))
      .returning();
    await this.jobs.send({ type: "webhook.process", orgId, eventIds: [eventId] } satisfies JobMessage);
    return updated ?? row;
  }

  // ---- processing -----------------------------------------------------------------------

  /**
   * One queue delivery of `webhook.process`: a few events of one organization, processed
   * together (one lease, one read of their integrations, one write of their outcomes). An event
   * that fails goes back on the queue on its own, after its backoff; one that has used its
   * attempts is `failed` and dead-lettered with its reason.
   */
  async process(orgId: string, eventIds: string[], log: Logger): Promise<JobResult> {
    const ids = [...new Set(eventIds)].slice(0, MAX_EVENTS_PER_JOB);
    const now = Date.now();
    const leased = await this.db
      .update(webhookEvents)
      .set({ status: "processing", leaseUntil: now + LEASE_MS, attempts: sql`${webhookEvents.attempts} + 1` })
      .where(
        and(
          eq(webhookEvents.orgId, orgId),
          inArray(webhookEvents.id, ids),
          or(
            eq(webhookEvents.status, "pending"),
            and(eq(webhookEvents.status, "processing"), lt(webhookEvents.leaseUntil, now)),
          ),
        ),
      )
      .returning();
    let heldUntil = 0;
    if (leased.length < ids.length) {
      const leasedIds = new Set(leased.map((e) => e.id));
      const others = await this.db
        .select({ id: webhookEvents.id, status: webhookEvents.status, leaseUntil: webhookEvents.leaseUntil })
        .from(webhookEvents)
        .where(and(eq(webhookEvents.orgId, orgId), inArray(webhookEvents.id, ids)));
      for (const o of others)
        if (!leasedIds.has(o.id) && o.status === "processing")
          heldUntil = Math.max(heldUntil, o.leaseUntil ?? now);
    }

    const integrationIds = [...new Set(leased.map((e) => e.integrationId))];
    const rows = integrationIds.length
      ? await this.db
          .select()
          .from(integrations)
          .where(and(eq(integrations.orgId, orgId), inArray(integrations.id, integrationIds)))
      : [];
    const byId = new Map(rows.map((r) => [r.id, r]));

    // Host-app events of the whole job, written together before the outcomes. Each is keyed by
    // its cause, so a retried job emits nothing twice.
    const emissions: Parameters<Events["emitMany"]>[1] = [];
    const emit: Emit = (type, data, key) => emissions.push({ type, data, key });
    const finished: ReturnType<typeof this.finishStatement>[] = [];
    const retries = new Map<number, string[]>();
    const deadLetters: string[] = [];
    for (const event of leased) {
      try {
        const result = await this.apply(event, byId.get(event.integrationId), emit, log);
        finished.push(
          this.finishStatement(event, {
            status: "processed",
            processedAt: new Date().toISOString(),
            result,
            lastError: null,
          }),
        );
      } catch (e) {
        const reason = redactTokens(e instanceof Error ? e.message : String(e));
        const retryable = !(e instanceof ProviderError) || e.retryable;
        if (retryable && event.attempts < MAX_PROCESS_ATTEMPTS) {
          const delay =
            e instanceof ProviderError && e.opts.retryAfterSeconds !== undefined
              ? Math.max(1, e.opts.retryAfterSeconds)
              : backoffWithJitter(event.attempts);
          retries.set(delay, [...(retries.get(delay) ?? []), event.id]);
          log.warn("webhook event will be retried", { event_id: event.id, in_seconds: delay, reason });
          finished.push(this.finishStatement(event, { status: "pending", lastError: reason }));
        } else {
          deadLetters.push(`webhook event ${event.id}: ${reason}`);
          finished.push(this.finishStatement(event, { status: "failed", lastError: reason }));
        }
      }
    }
    await this.events.emitMany(orgId, emissions);
    const [first, ...more] = finished;
    if (first) await this.db.batch([first, ...more]);
    for (const [delaySeconds, retryIds] of retries)
      await this.jobs.send({ type: "webhook.process", orgId, eventIds: retryIds } satisfies JobMessage, {
        delaySeconds,
      });
    if (deadLetters.length) return { action: "dead-letter", reason: deadLetters.join("; ") };
    if (heldUntil > 0) {
      // Another consumer holds some of them: look again when its lease runs out.
      const wait = Math.max(1, Math.ceil((heldUntil - now) / 1000) + 1);
      return { action: "retry", delaySeconds: wait, reason: "being processed by another consumer" };
    }
    return { action: "ack" };
  }

  /** Ends a processing attempt, only while this consumer still holds the lease. */
  private finishStatement(event: WebhookEventRow, set: Partial<typeof webhookEvents.$inferInsert>) {
    return this.db
      .update(webhookEvents)
      .set({ leaseUntil: null, ...set })
      .where(
        and(
          eq(webhookEvents.orgId, event.orgId),
          eq(webhookEvents.id, event.id),
          eq(webhookEvents.status, "processing"),
          eq(webhookEvents.leaseUntil, event.leaseUntil ?? 0),
        ),
      );
  }

  /** Applies an event's effects; each one is idempotent. */
  private async apply(
    event: WebhookEventRow,
    integration: IntegrationRow | undefined,
    emit: Emit,
    log: Logger,
  ): Promise<Record<string, unknown>> {
    if (!integration) return { skipped: "the integration was deleted" };
    const provider = getProvider(integration.provider);
    const effects = provider?.webhook?.effects?.(event.payload) ?? [];
    const result = {
      messages_updated: 0,
      messages_received: 0,
      leads: 0,
      contacts_created: 0,
      records_changed: 0,
    };
    const notes: string[] = [];
    for (const [i, effect] of effects.entries()) {
      const key = `${event.id}:${i}`;
      switch (effect.kind) {
        case "message.status":
          result.messages_updated += await this.applyStatus(event, effect, key, emit);
          break;
        case "message.inbound":
          result.messages_received += await this.applyInbound(event, effect, key, emit);
          break;
        case "lead": {
          const r = await this.applyLead(event, integration, effect, key, emit, log);
          if (r.note) notes.push(r.note);
          else result.leads += 1;
          if (r.created) result.contacts_created += 1;
          break;
        }
        case "record.changed":
          result.records_changed += 1;
          break;
      }
    }
    emit(
      "webhook.received",
      {
        id: event.id,
        integration_id: event.integrationId,
        provider: event.provider,
        event_type: event.eventType,
        provider_event_id: event.providerEventId,
        received_at: event.receivedAt,
        payload: event.payload,
      },
      `${event.id}:received`,
    );
    return notes.length ? { ...result, notes } : result;
  }

  private async applyStatus(
    event: WebhookEventRow,
    e: Extract<WebhookEffect, { kind: "message.status" }>,
    key: string,
    emit: Emit,
  ): Promise<number> {
    const match = e.messageId
      ? eq(messages.id, e.messageId)
      : e.providerMessageId
        ? eq(messages.providerMessageId, e.providerMessageId)
        : undefined;
    if (!match) return 0;
    const at = new Date().toISOString();
    const updated = await this.db
      .update(messages)
      .set({
        status: e.status,
        updatedAt: at,
        ...(e.status === "delivered" ? { deliveredAt: at } : {}),
        ...(e.status === "failed"
          ? { lastError: redactTokens(e.error ?? `${event.provider}: ${e.detail}`) }
          : {}),
      })
      .where(
        and(
          eq(messages.orgId, event.orgId),
          eq(messages.integrationId, event.integrationId),
          eq(messages.direction, "outbound"),
          match,
          inArray(messages.status, MOVES_FROM[e.status]),
        ),
      )
      .returning({ id: messages.id, to: messages.to, channel: messages.channel });
    for (const m of updated) {
      emit(
        "message.status",
        {
          message_id: m.id,
          integration_id: event.integrationId,
          provider: event.provider,
          channel: m.channel,
          to: m.to,
          status: e.status,
          detail: e.detail,
          ...(e.error ? { error: e.error } : {}),
        },
        `${key}:${m.id}`,
      );
    }
    return updated.length;
  }

  private async applyInbound(
    event: WebhookEventRow,
    e: Extract<WebhookEffect, { kind: "message.inbound" }>,
    key: string,
    emit: Emit,
  ): Promise<number> {
    const id = prefixedId("msg");
    const content = { from: e.from, ...(e.text === undefined ? {} : { text: e.text }) };
    const inserted = await this.db
      .insert(messages)
      .values({
        id,
        orgId: event.orgId,
        integrationId: event.integrationId,
        provider: event.provider,
        channel: e.channel,
        to: e.to ?? "",
        content,
        direction: "inbound",
        status: "received",
        providerMessageId: e.providerMessageId ?? null,
        // Keyed by the event and the effect's place in it: a repeated processing finds the row.
        idempotencyKey: `webhook:${key}`,
      })
      .onConflictDoNothing()
      .returning({ id: messages.id });
    if (!inserted.length) return 0;
    emit(
      "message.received",
      {
        message_id: id,
        integration_id: event.integrationId,
        provider: event.provider,
        channel: e.channel,
        from: e.from,
        to: e.to ?? null,
        text: e.text ?? null,
        provider_message_id: e.providerMessageId ?? null,
      },
      key,
    );
    return 1;
  }

  /** A Lead Ads lead: fetched from the provider, stored as a contact, announced as `lead.created`. */
  private async applyLead(
    event: WebhookEventRow,
    integration: IntegrationRow,
    e: Extract<WebhookEffect, { kind: "lead" }>,
    key: string,
    emit: Emit,
    log: Logger,
  ): Promise<{ created?: boolean; note?: string }> {
    const cfg = integration.config;
    const source = getProvider(integration.provider)?.leads;
    if (!source) return { note: `lead ${e.leadgenId} skipped: the provider cannot fetch leads` };
    const skip = source.skipReason(cfg, e.formId);
    if (skip) return { note: `lead ${e.leadgenId} skipped: ${skip}` };
    const lead = await this.connections.run(integration, (ctx) => source.fetch(ctx, e.leadgenId));
    let contactId: string | null = null;
    let created = false;
    if (source.createsContacts(cfg)) {
      const data = {
        ...lead.contact,
        source: source.source,
        form_id: lead.formId ?? e.formId ?? null,
        external_provider: integration.provider,
      };
      const inserted = await this.db
        .insert(records)
        .values({
          id: prefixedId("rec"),
          orgId: event.orgId,
          integrationId: integration.id,
          entity: "contacts",
          externalId: lead.externalId,
          data,
          raw: lead.raw,
        })
        .onConflictDoNothing()
        .returning({ id: records.id });
      created = inserted.length > 0;
      contactId =
        inserted[0]?.id ??
        (
          await this.db
            .select({ id: records.id })
            .from(records)
            .where(
              and(
                eq(records.orgId, event.orgId),
                eq(records.integrationId, integration.id),
                eq(records.entity, "contacts"),
                eq(records.externalId, lead.externalId),
              ),
            )
            .limit(1)
        )[0]?.id ??
        null;
    }
    const campaign =
      typeof cfg.trigger_campaign_id === "string" && cfg.trigger_campaign_id ? cfg.trigger_campaign_id : null;
    emit(
      "lead.created",
      {
        integration_id: integration.id,
        provider: integration.provider,
        lead_id: lead.externalId,
        form_id: lead.formId ?? e.formId ?? null,
        ad_id: e.adId ?? null,
        contact_id: contactId,
        contact: lead.contact,
        answers: lead.answers,
        campaign_id: campaign,
      },
      key,
    );
    log.info("lead processed", { integration_id: integration.id, lead_id: lead.externalId, created });
    return { created };
  }

  // ---- recovery -------------------------------------------------------------------------

  /** Re-queues events left pending (a lost queue send) or leased by a consumer that died. */
  async requeueStuck(olderThanMs = 2 * 60_000, limit = 200): Promise<number> {
    const before = new Date(Date.now() - olderThanMs).toISOString();
    const rows = await this.db
      .select({ id: webhookEvents.id, orgId: webhookEvents.orgId })
      .from(webhookEvents)
      .where(
        and(
          lt(webhookEvents.receivedAt, before),
          or(
            // Never tried: its queue send was lost. (A pending event with attempts waits for its retry.)
            and(eq(webhookEvents.status, "pending"), eq(webhookEvents.attempts, 0)),
            and(
              eq(webhookEvents.status, "processing"),
              or(isNull(webhookEvents.leaseUntil), lt(webhookEvents.leaseUntil, Date.now())),
            ),
          ),
        ),
      )
      .limit(limit);
    const byOrg = new Map<string, string[]>();
    for (const r of rows) byOrg.set(r.orgId, [...(byOrg.get(r.orgId) ?? []), r.id]);
    const jobs: JobMessage[] = [...byOrg].flatMap(([orgId, ids]) => {
      const chunks: JobMessage[] = [];
      for (let i = 0; i < ids.length; i += MAX_EVENTS_PER_JOB)
        chunks.push({ type: "webhook.process", orgId, eventIds: ids.slice(i, i + MAX_EVENTS_PER_JOB) });
      return chunks;
    });
    for (let i = 0; i < jobs.length; i += 100)
      await this.jobs.sendBatch(jobs.slice(i, i + 100).map((body) => ({ body })));
    return rows.length;
  }
}
