/**
 * Storing verified deliveries in D1, once each. The queue consumer stores a batch of
 * `webhook.ingest` messages with one multi-row `INSERT ... ON CONFLICT DO NOTHING` on
 * (integration, dedupe key); the ingest route stores a delivery itself, the same way, when the
 * queue cannot take it. A row that is already there is either this very event (the queue
 * delivered its message again: processed if still pending) or a provider's repeat (counted in
 * `duplicates`, never processed twice).
 */
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { organizations, webhookEvents } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import type { Logger } from "../../lib/log.ts";
import type { QueuedWebhookEvent } from "../../queue/messages.ts";
import { BODY_DEDUPE_WINDOW_MS } from "./shared.ts";

/** A delivery and its organization. */
export interface Delivery {
  orgId: string;
  event: QueuedWebhookEvent;
}

/** What storing a few deliveries did. */
export interface Stored {
  /** Per organization, the events to process now (new ones, and pending ones delivered again). */
  toProcess: Map<string, string[]>;
  /** Provider repeats of events stored before. */
  duplicates: number;
  /** Events not stored because their organization is gone. */
  orphaned: string[];
}

/** Values bound per row (the columns given below); D1 binds at most 100 a statement. */
const BOUND_PER_ROW = 12;
const ROWS_PER_INSERT = Math.floor(100 / BOUND_PER_ROW);

const rowOf = ({ orgId, event: e }: Delivery) => ({
  id: e.id,
  orgId,
  integrationId: e.integrationId,
  provider: e.provider,
  eventType: e.eventType,
  providerEventId: e.providerEventId,
  dedupeKey: e.dedupeKey,
  payload: e.payload ?? null,
  status: e.ignored ? ("ignored" as const) : ("pending" as const),
  attempts: 0,
  duplicates: 0,
  receivedAt: e.receivedAt,
});

export class WebhookIntake {
  constructor(
    /** The main database (organizations). */
    private readonly main: Db,
    /** Where each organization's webhook events are (src/db/shards.ts). */
    private readonly shards: Shards,
  ) {}

  async store(deliveries: Delivery[], log: Logger): Promise<Stored> {
    const out: Stored = { toProcess: new Map(), duplicates: 0, orphaned: [] };
    // One insert per database holding some of these organizations' events.
    const byDb = new Map<Db, Delivery[]>();
    for (const d of deliveries) {
      const db = this.shards.of(d.orgId);
      byDb.set(db, [...(byDb.get(db) ?? []), d]);
    }
    for (const [db, group] of byDb) await this.storeOn(db, group, out, log);
    return out;
  }

  private async storeOn(db: Db, deliveries: Delivery[], out: Stored, log: Logger): Promise<void> {
    const process = (d: Delivery) => {
      if (d.event.ignored) return;
      const ids = out.toProcess.get(d.orgId) ?? [];
      if (!ids.includes(d.event.id)) ids.push(d.event.id);
      out.toProcess.set(d.orgId, ids);
    };

    const inserted = await this.insert(db, deliveries, out, log);
    const rest = deliveries.filter((d) => !inserted.has(d.event.id) && !out.orphaned.includes(d.event.id));
    for (const d of deliveries) if (inserted.has(d.event.id)) process(d);
    if (!rest.length) return;

    // Already stored: this event delivered again by the queue, or a provider's repeat.
    const existing = await db
      .select({
        id: webhookEvents.id,
        status: webhookEvents.status,
        integrationId: webhookEvents.integrationId,
        dedupeKey: webhookEvents.dedupeKey,
        receivedAt: webhookEvents.receivedAt,
      })
      .from(webhookEvents)
      .where(
        and(
          inArray(webhookEvents.integrationId, [...new Set(rest.map((d) => d.event.integrationId))]),
          inArray(webhookEvents.dedupeKey, [...new Set(rest.map((d) => d.event.dedupeKey))]),
        ),
      );
    const repeats: Delivery[] = [];
    for (const d of rest) {
      const first = existing.find(
        (r) => r.integrationId === d.event.integrationId && r.dedupeKey === d.event.dedupeKey,
      );
      if (first?.id === d.event.id) {
        if (first.status === "pending") process(d);
        continue;
      }
      // Where a body hash is the key, an identical body after the window is a new event.
      if (first && !d.event.providerEventId && (await this.retireStaleBodyKey(db, d, first.receivedAt))) {
        const again = await this.insert(db, [d], out, log);
        if (again.has(d.event.id)) {
          process(d);
          continue;
        }
      }
      repeats.push(d);
    }
    if (repeats.length) {
      const bump = repeats.map((d) =>
        db
          .update(webhookEvents)
          .set({ duplicates: sql`${webhookEvents.duplicates} + 1` })
          .where(
            and(
              eq(webhookEvents.integrationId, d.event.integrationId),
              eq(webhookEvents.dedupeKey, d.event.dedupeKey),
            ),
          ),
      );
      await db.batch(bump as [(typeof bump)[number], ...typeof bump]);
      out.duplicates += repeats.length;
    }
  }

  /**
   * Inserts the rows in as few statements as D1's parameter limit allows, in one batch; answers
   * the ids that were new. When the batch fails (an organization deleted meanwhile fails its
   * foreign key, and with it the batch), each row is tried on its own and the orphans noted.
   */
  private async insert(db: Db, deliveries: Delivery[], out: Stored, log: Logger): Promise<Set<string>> {
    const rows = deliveries.map(rowOf);
    const statements = [];
    for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
      statements.push(
        db
          .insert(webhookEvents)
          .values(rows.slice(i, i + ROWS_PER_INSERT))
          .onConflictDoNothing()
          .returning({ id: webhookEvents.id }),
      );
    }
    try {
      const results = await db.batch(statements as [(typeof statements)[number]]);
      return new Set(results.flat().map((r) => r.id));
    } catch (e) {
      const live = await this.orgsExist(deliveries);
      if (deliveries.every((d) => live.has(d.orgId))) throw e; // D1 itself failed: the caller retries
      for (const d of deliveries) {
        if (live.has(d.orgId)) continue;
        out.orphaned.push(d.event.id);
        log.warn("webhook not stored: its organization was deleted", { event_id: d.event.id });
      }
      const rest = deliveries.filter((d) => live.has(d.orgId));
      return rest.length ? this.insert(db, rest, out, log) : new Set();
    }
  }

  private async orgsExist(deliveries: Delivery[]): Promise<Set<string>> {
    const rows = await this.main
      .select({ id: organizations.id })
      .from(organizations)
      .where(inArray(organizations.id, [...new Set(deliveries.map((d) => d.orgId))]));
    return new Set(rows.map((r) => r.id));
  }

  /** Retires the old row's body-hash key (suffixed with its id) when it is past the window. */
  private async retireStaleBodyKey(db: Db, d: Delivery, firstReceivedAt: string): Promise<boolean> {
    const before = new Date(Date.parse(d.event.receivedAt) - BODY_DEDUPE_WINDOW_MS).toISOString();
    if (firstReceivedAt >= before) return false;
    const retired = await db
      .update(webhookEvents)
      .set({ dedupeKey: sql`${webhookEvents.dedupeKey} || ':' || ${webhookEvents.id}` })
      .where(
        and(
          eq(webhookEvents.integrationId, d.event.integrationId),
          eq(webhookEvents.dedupeKey, d.event.dedupeKey),
          lt(webhookEvents.receivedAt, before),
        ),
      )
      .returning({ id: webhookEvents.id });
    return retired.length > 0;
  }
}
