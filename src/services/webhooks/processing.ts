/**
 * Processing stored webhook events on the queue: a lease in D1 (compare-and-set) gives one
 * consumer the event; each effect is idempotent (status moves only forward, inbound messages and
 * contacts are keyed), so a crash mid-way and a retry neither lose nor duplicate anything.
 * Failures retry with backoff, then the event is `failed` with its reason and dead-lettered.
 */
import { and, eq, inArray, lt, or, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, integrations, type WebhookEventRow, webhookEvents } from "../../db/schema.ts";
import { retryDelaySeconds } from "../../jobs/backoff.ts";
import type { Logger } from "../../lib/log.ts";
import { redactTokens } from "../../lib/redact.ts";
import { getProvider } from "../../providers/registry.ts";
import { ProviderError } from "../../providers/runtime.ts";
import type { JobMessage, JobResult } from "../../queue/messages.ts";
import type { Events } from "../events.ts";
import type { WebhookEffects } from "./effects.ts";
import {
  type Emit,
  LEASE_MS,
  MAX_EVENTS_PER_JOB,
  MAX_PROCESS_ATTEMPTS,
  type WebhooksDeps,
} from "./shared.ts";

export class WebhookProcessing {
  private readonly db: Db;
  private readonly events: Events;
  private readonly jobs: Queue;

  constructor(
    deps: WebhooksDeps,
    private readonly effects: WebhookEffects,
  ) {
    this.db = deps.db;
    this.events = deps.events;
    this.jobs = deps.jobs;
  }

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
              : retryDelaySeconds({ maxAttempts: MAX_PROCESS_ATTEMPTS }, event.attempts);
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
}
