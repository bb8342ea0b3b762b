/**
 * Reading an organization's stored webhook events, and replaying one (the job engine re-drives
 * those a lost queue send or a dead consumer left behind).
 */
import { and, desc, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type WebhookEventRow, webhookEvents } from "../../db/schema.ts";
import type { Shards } from "../../db/shards.ts";
import { ApiError, ErrorCode, notFound } from "../../errors.ts";
import { decodeCursor, pageOf } from "../../lib/pagination.ts";
import type { JobMessage } from "../../queue/messages.ts";
import type { EventFilter, WebhooksDeps } from "./shared.ts";

export class WebhookLog {
  private readonly shards: Shards;
  private readonly jobs: Queue;

  constructor(deps: WebhooksDeps) {
    this.shards = deps.shards;
    this.jobs = deps.jobs;
  }

  private db(orgId: string): Db {
    return this.shards.of(orgId);
  }

  async list(orgId: string, f: EventFilter) {
    const after = decodeCursor(f.cursor);
    const status = f.status ?? (f.processed === true ? "processed" : undefined);
    const rows = await this.db(orgId)
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
    const rows = await this.db(orgId)
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
    const [updated] = await this.db(orgId)
      .update(webhookEvents)
      .set({ status: "pending", attempts: 0, leaseUntil: null, lastError: null, nextAttemptAt: null })
      .where(and(eq(webhookEvents.orgId, orgId), eq(webhookEvents.id, eventId)))
      .returning();
    await this.jobs.send({ type: "webhook.process", orgId, eventIds: [eventId] } satisfies JobMessage);
    return updated ?? row;
  }
}
