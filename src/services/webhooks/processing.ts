/**
 * Processing stored webhook events on the queue, through the job engine: the engine's
 * compare-and-set lease gives one consumer the event; each effect is idempotent (status moves
 * only forward, inbound messages and contacts are keyed), so a crash mid-way and a retry neither
 * lose nor duplicate anything. Failures retry with the engine's backoff, then the event is
 * `failed` with its reason and a dead letter.
 */
import { and, eq, inArray, isNull, lt, or } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, integrations, type WebhookEventRow, webhookEvents } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import type { RetryPolicy } from "../../jobs/backoff.ts";
import { JobEngine, retryTime } from "../../jobs/engine.ts";
import type { Claimed, JobKind, Outcome, RunResult } from "../../jobs/kind.ts";
import type { Logger } from "../../lib/log.ts";
import { getProvider } from "../../providers/registry.ts";
import type { JobMessage } from "../../queue/messages.ts";
import type { Events } from "../events.ts";
import type { WebhookEffects } from "./effects.ts";
import {
  type Emit,
  LEASE_MS,
  MAX_EVENTS_PER_JOB,
  MAX_PROCESS_ATTEMPTS,
  type WebhooksDeps,
} from "./shared.ts";

/** How processing an event retries: five attempts, 5 s doubling with jitter. */
export const PROCESS_POLICY: RetryPolicy = { maxAttempts: MAX_PROCESS_ATTEMPTS };

/** An event waiting longer than this for its first attempt, or past its retry's time, was lost by the queue. */
export const STUCK_AFTER_MS = 2 * 60_000;

/** What the events of one delivery share: their integrations, and the host-app events they emit. */
interface Shared {
  byId: Map<string, IntegrationRow>;
  emissions: Parameters<Events["emitMany"]>[1];
}

export class WebhookProcessing {
  private readonly db: Db;
  private readonly shards: Shards;
  private readonly events: Events;
  private readonly engine: JobEngine;
  private readonly startSync: WebhooksDeps["startSync"];

  constructor(
    deps: WebhooksDeps,
    private readonly effects: WebhookEffects,
  ) {
    this.db = deps.db;
    this.shards = deps.shards;
    this.events = deps.events;
    this.startSync = deps.startSync;
    this.engine = new JobEngine(deps.db, deps.jobs);
  }

  /**
   * One queue delivery of `webhook.process`: a few events of one organization, processed
   * together (one claim, one read of their integrations, one write of their host-app events).
   * An event that fails goes back on the queue on its own, after its backoff; one that has used
   * its attempts is `failed` and a dead letter with its reason.
   */
  process(orgId: string, eventIds: string[], log: Logger, now = Date.now()): Promise<RunResult> {
    const ids = [...new Set(eventIds)].slice(0, MAX_EVENTS_PER_JOB);
    return this.engine.run(this.processJob, orgId, ids, log, now);
  }

  /** Re-enqueues events nobody is working on (the minutely cron); answers how many. */
  redrive(now = Date.now()): Promise<number> {
    return this.engine.redrive(this.processJob, now, 200);
  }

  /** The `webhook.process` job kind. */
  get processJob(): JobKind<WebhookEventRow> {
    return {
      type: "webhook.process",
      table: webhookEvents,
      shards: this.shards,
      waiting: ["pending"],
      running: "processing",
      leaseMs: LEASE_MS,
      policy: PROCESS_POLICY,
      ...retryTime(webhookEvents.nextAttemptAt),
      messages: (orgId, ids) => {
        const out: JobMessage[] = [];
        for (let i = 0; i < ids.length; i += MAX_EVENTS_PER_JOB)
          out.push({ type: "webhook.process", orgId, eventIds: ids.slice(i, i + MAX_EVENTS_PER_JOB) });
        return out;
      },
      prepare: (orgId, rows) => this.prepare(orgId, rows),
      run: (job, shared) => this.attempt(job, shared as Shared),
      // Host-app events of the whole delivery, written before the outcomes. Each is keyed by its
      // cause, so a retried event emits nothing twice.
      beforeFinish: (orgId, shared) => this.events.emitMany(orgId, (shared as Shared).emissions),
      retrying: (_e, w) => ({
        status: "pending",
        lastError: w.reason,
        nextAttemptAt: new Date(w.at).toISOString(),
      }),
      failed: (_e, reason) => ({ status: "failed", lastError: reason, nextAttemptAt: null }),
      // Never tried (its queue send after the response was lost), or a retry whose message was lost.
      stuck: (now) => {
        const before = new Date(now - STUCK_AFTER_MS).toISOString();
        return and(
          eq(webhookEvents.status, "pending"),
          lt(webhookEvents.receivedAt, before),
          or(
            and(isNull(webhookEvents.nextAttemptAt), eq(webhookEvents.attempts, 0)),
            lt(webhookEvents.nextAttemptAt, before),
          ),
        );
      },
    };
  }

  /** One read of the integrations a delivery's events belong to. */
  private async prepare(orgId: string, rows: WebhookEventRow[]): Promise<Shared> {
    const integrationIds = [...new Set(rows.map((e) => e.integrationId))];
    const found = await this.db
      .select()
      .from(integrations)
      .where(and(eq(integrations.orgId, orgId), inArray(integrations.id, integrationIds)));
    return { byId: new Map(found.map((r) => [r.id, r])), emissions: [] };
  }

  /** One attempt at one claimed event. */
  private async attempt({ row: event, log }: Claimed<WebhookEventRow>, shared: Shared): Promise<Outcome> {
    const emit: Emit = (type, data, key) => shared.emissions.push({ type, data, key });
    const result = await this.apply(event, shared.byId.get(event.integrationId), emit, log);
    return {
      result: "succeeded",
      set: {
        status: "processed",
        processedAt: new Date().toISOString(),
        result,
        lastError: null,
        nextAttemptAt: null,
      },
    };
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
    const syncJobs: string[] = [];
    for (const [i, effect] of effects.entries()) {
      const key = `${event.id}:${i}`;
      switch (effect.kind) {
        case "message.status":
          result.messages_updated += await this.effects.applyStatus(event, effect, key, emit);
          break;
        case "message.inbound":
          result.messages_received += await this.effects.applyInbound(event, effect, key, emit);
          break;
        case "lead": {
          const r = await this.effects.applyLead(event, integration, effect, key, emit, log);
          if (r.note) notes.push(r.note);
          else result.leads += 1;
          if (r.created) result.contacts_created += 1;
          break;
        }
        case "record.changed":
          result.records_changed += 1;
          break;
        case "sync.requested": {
          // Starts the sync, or joins the one already under way (one job per entity at a time).
          if (!this.startSync || integration.disconnectedAt) {
            notes.push(`sync of ${effect.entity} not started: the integration is disconnected`);
            break;
          }
          const started = await this.startSync(integration, effect.entity);
          if (!syncJobs.includes(started.job.id)) syncJobs.push(started.job.id);
          break;
        }
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
    return {
      ...result,
      ...(syncJobs.length ? { sync_jobs: syncJobs } : {}),
      ...(notes.length ? { notes } : {}),
    };
  }
}
