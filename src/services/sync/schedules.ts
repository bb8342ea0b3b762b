/**
 * Sync schedules: each entity's interval and next run (kept in its sync state), and the cron
 * that starts the runs that are due, each claimed once by compare-and-set.
 */
import { and, eq, lt, sql } from "drizzle-orm";
import type { Db } from "../../db/client.ts";
import { type IntegrationRow, type SyncStateRow, syncState } from "../../db/schema.ts";
import type { Logger } from "../../lib/log.ts";
import type { Integrations } from "../integrations.ts";
import { providerOf } from "../integrations.ts";
import type { SyncJobs } from "./jobs.ts";
import { nowIso, resolveEntity, type SyncDeps } from "./shared.ts";

export class SyncSchedules {
  private readonly db: Db;
  private readonly integrations: Integrations;

  constructor(
    deps: SyncDeps,
    private readonly jobs: SyncJobs,
  ) {
    this.db = deps.db;
    this.integrations = deps.integrations;
  }

  async states(row: IntegrationRow): Promise<SyncStateRow[]> {
    return this.db.select().from(syncState).where(eq(syncState.integrationId, row.id));
  }

  /** Sets (or clears, with null) the schedule of the given entities. */
  async schedule(row: IntegrationRow, entityNames: string[] | undefined, intervalMinutes: number | null) {
    const provider = providerOf(row);
    const all = Object.keys(provider.sync?.entities ?? {});
    const entities = (entityNames?.length ? entityNames : all).map((n) => resolveEntity(provider, n).entity);
    if (!entities.length) resolveEntity(provider, "");
    const now = Date.now();
    const next = intervalMinutes ? now + intervalMinutes * 60_000 : null;
    await this.db.batch(
      entities.map((entity) =>
        this.db
          .insert(syncState)
          .values({ integrationId: row.id, entity, orgId: row.orgId, intervalMinutes, nextRunAt: next })
          .onConflictDoUpdate({
            target: [syncState.integrationId, syncState.entity],
            set: { intervalMinutes, nextRunAt: next, updatedAt: nowIso() },
          }),
      ) as unknown as Parameters<Db["batch"]>[0],
    );
    return this.states(row);
  }

  /**
   * Cron: starts the scheduled syncs that are due. Each due run is claimed by moving its next
   * run forward with compare-and-set, so a cron that fires twice starts it once.
   */
  async runSchedules(now = Date.now(), log?: Logger): Promise<number> {
    const due = await this.db
      .select()
      .from(syncState)
      .where(and(sql`${syncState.nextRunAt} is not null`, lt(syncState.nextRunAt, now + 1)))
      .limit(50);
    let started = 0;
    for (const s of due) {
      if (!s.intervalMinutes || s.nextRunAt === null) continue;
      const claimed = await this.db
        .update(syncState)
        .set({ nextRunAt: now + s.intervalMinutes * 60_000 })
        .where(
          and(
            eq(syncState.integrationId, s.integrationId),
            eq(syncState.entity, s.entity),
            eq(syncState.nextRunAt, s.nextRunAt),
          ),
        )
        .returning({ id: syncState.integrationId });
      if (!claimed.length) continue;
      try {
        const row = await this.integrations.get(s.orgId, s.integrationId);
        if (!row.isActive || row.disconnectedAt) continue;
        const r = await this.jobs.start(row, s.entity, { trigger: "schedule", actor: "schedule" });
        if (r.created) started++;
      } catch (e) {
        log?.warn("scheduled sync not started", {
          integration_id: s.integrationId,
          entity: s.entity,
          reason: e instanceof Error ? e.message : String(e),
        });
      }
    }
    return started;
  }
}
