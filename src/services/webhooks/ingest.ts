/**
 * Receiving provider webhooks: the integration (and its decrypted secrets) is looked up (from
 * the isolate's cache when fresh), the provider module answers a handshake or verifies the raw
 * request, and a verified delivery goes onto the queue as a `webhook.ingest` message before the
 * answer. The consumer stores it once (./intake.ts: `INSERT ... ON CONFLICT DO NOTHING` on
 * integration and dedupe key, so a repeated delivery finds the first row and is never processed
 * twice) and processes it. When the queue cannot take it, the delivery is stored in D1 before the
 * answer and its processing queued after it (`waitUntil`); a cron sweep re-sends any event left
 * pending.
 */
import { and, desc, eq, inArray } from "drizzle-orm";
import { sha256Hex } from "../../crypto/hash.ts";
import { batchAcross } from "../../db/batch.ts";
import type { Db } from "../../db/client.ts";
import { integrations } from "../../db/schema.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import { prefixedId, UUID_RE } from "../../lib/ids.ts";
import { createLogger, redact } from "../../lib/log.ts";
import { deploymentDefaults } from "../../providers/registry.ts";
import { ProviderError } from "../../providers/runtime.ts";
import type { WebhookContext, WebhookRequest } from "../../providers/webhooks.ts";
import type { JobMessage, QueuedWebhookEvent } from "../../queue/messages.ts";
import type { Activity } from "../activity.ts";
import type { Events } from "../events.ts";
import { cachedTarget, cacheTarget, forgetIntegration, type Target } from "../integration-cache.ts";
import type { Integrations } from "../integrations.ts";
import { WebhookIntake } from "./intake.ts";
import {
  type Deferred,
  MAX_EVENTS_PER_JOB,
  type WebhookProvider,
  type WebhooksDeps,
  webhookProvider,
} from "./shared.ts";

/** The largest `webhook.ingest` message sent (a queue message holds 128 KB with its envelope). */
const MAX_QUEUED_BYTES = 120_000;
const SURELY_FITS_BYTES = 16 * 1024;
const encoder = new TextEncoder();

/** At most one refused-webhook line per integration in its log per this interval. */
const REFUSAL_LOG_INTERVAL_MS = 60_000;

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

export class WebhookIngest {
  private readonly db: Db;
  private readonly activity: Activity;
  private readonly integrations: Integrations;
  private readonly events: Events;
  private readonly jobs: Queue;
  private readonly setting: (name: string) => string | undefined;
  private readonly outbound: WebhooksDeps["outbound"];
  private readonly intake: WebhookIntake;
  private readonly ingestQueue: Queue;

  constructor(deps: WebhooksDeps) {
    this.ingestQueue = deps.ingestQueue;
    this.intake = new WebhookIntake(deps.db, deps.shards);
    this.outbound = deps.outbound;
    this.db = deps.db;
    this.activity = deps.activity;
    this.integrations = deps.integrations;
    this.events = deps.events;
    this.jobs = deps.jobs;
    this.setting = deps.setting;
  }

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
    if (provider.webhook.confirm) {
      try {
        await provider.webhook.confirm(req, ctx);
      } catch (e) {
        if (!(e instanceof ProviderError)) throw e;
        this.noteRefusal(target, e.message, false, defer);
        // Not stored: the provider sends the confirmation again (a 5xx is what it retries).
        if (!e.retryable) throw new ApiError(ErrorCode.BAD_REQUEST, `Webhook not confirmed: ${e.message}`);
        return Response.json(
          { error: `Webhook not confirmed: ${e.message}`, code: "UPSTREAM_FAILED" },
          { status: 502 },
        );
      }
    }
    return this.store(provider, target, req, defer);
  }

  /**
   * Accepts a verified delivery: onto the queue (the consumer stores it once and processes it),
   * or, when the queue cannot take it (a send that fails, a payload too large for a message),
   * into D1 before the answer. The provider gets its 2xx only once the event is durable in one
   * of them.
   */
  private async store(provider: WebhookProvider, target: Target, req: WebhookRequest, defer: Deferred) {
    const accept = () => provider.webhook.accept?.() ?? Response.json({ received: true });
    const described = provider.webhook.describe(req);
    if (!described) return accept();
    const row = target.row;
    const event: QueuedWebhookEvent = {
      id: prefixedId("whe"),
      integrationId: row.id,
      provider: row.provider,
      eventType: described.type.slice(0, 200),
      providerEventId: described.id?.slice(0, 500) ?? null,
      dedupeKey: described.id ? `id:${described.id}` : `sha256:${await sha256Hex(req.body)}`,
      payload: redact(described.payload),
      // An inactive integration takes deliveries without acting on them: the provider gets the
      // answer it expects (so it stops retrying) and the delivery is kept as `ignored`.
      ignored: !row.isActive,
      receivedAt: new Date().toISOString(),
    };
    if (await this.enqueue({ type: "webhook.ingest", orgId: row.orgId, event }, req.body.byteLength))
      return accept();

    const stored = await this.intake.store(
      [{ orgId: row.orgId, event }],
      createLogger({ org_id: row.orgId }),
    );
    if (stored.orphaned.length) {
      forgetIntegration(row.id);
      throw notFound("Webhook endpoint");
    }
    for (const [orgId, ids] of stored.toProcess)
      for (const id of ids) enqueueSoon(this.jobs, orgId, id, defer);
    return accept();
  }

  /** Puts a delivery on the queue; false when the queue cannot take it. */
  private async enqueue(
    message: JobMessage & { type: "webhook.ingest" },
    bodyBytes: number,
  ): Promise<boolean> {
    // Queue messages hold 128 KB; a webhook body may be 256 KiB. A body of at most 16 KiB always
    // fits: its payload re-serialized, with masked values (a "••••••" of 20 bytes where the
    // shortest secret-looking key and value took 9), is under four times the body, and the rest
    // of the message under 2 KB.
    if (bodyBytes > SURELY_FITS_BYTES) {
      const json = JSON.stringify(message);
      // UTF-8 takes at least one byte and at most three per UTF-16 unit: encode only when in doubt.
      if (json.length > MAX_QUEUED_BYTES) return false;
      if (json.length * 3 > MAX_QUEUED_BYTES && encoder.encode(json).byteLength > MAX_QUEUED_BYTES)
        return false;
    }
    try {
      await this.ingestQueue.send(message, { contentType: "json" });
      return true;
    } catch (e) {
      createLogger({ org_id: message.orgId }).warn("webhook not queued, storing it in D1", {
        reason: e instanceof Error ? e.message : String(e),
      });
      return false;
    }
  }

  /** A handshake the provider module refused becomes the hub's JSON error; others pass as they are. */
  private async handshakeAnswer(res: Response): Promise<Response> {
    if (res.status < 400) return res;
    throw this.refusal((await res.text()) || "verification failed", res.status);
  }

  private refusal(reason: string, status = 401): ApiError {
    const code =
      status === 403 ? ErrorCode.FORBIDDEN : status === 400 ? ErrorCode.BAD_REQUEST : ErrorCode.UNAUTHORIZED;
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
      defer(batchAcross(this.db, [log]));
      return;
    }
    const message = `Webhook refused: ${reason}`;
    defer(
      batchAcross(this.db, [
        this.db
          .update(integrations)
          .set({ lastError: message })
          .where(and(eq(integrations.orgId, row.orgId), eq(integrations.id, row.id))),
        log,
      ]).then(() => forgetIntegration(row.id)),
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
    forgetIntegration(row.id);
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
      ...(this.outbound ? { fetch: this.outbound.fetch } : {}),
      ...(this.outbound?.sandboxBase ? { sandboxBase: this.outbound.sandboxBase } : {}),
    };
  }
}
