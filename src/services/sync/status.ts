/**
 * An integration's sync status: for every entity its provider syncs, the stored state, the job
 * running now (queued, running or paused) and the last one finished; and the latest jobs.
 */
import type { IntegrationRow, SyncJobRow, SyncStateRow } from "../../db/schema.ts";
import type { SyncEntity } from "../../providers/sync.ts";
import { providerOf } from "../integrations.ts";
import type { SyncJobs } from "./jobs.ts";
import type { SyncSchedules } from "./schedules.ts";
import { ACTIVE, resolveEntity } from "./shared.ts";

/** Jobs read to find each entity's current and last job. */
const RECENT_JOBS = 50;
/** Jobs the status lists. */
const LISTED_JOBS = 20;

/** One entity of the status. */
export interface EntityStatus {
  entity: string;
  spec: SyncEntity;
  /** The current job's status, else the last finished job's, else idle. */
  state: SyncJobRow["status"] | "idle";
  stored: SyncStateRow | undefined;
  current: SyncJobRow | undefined;
  last: SyncJobRow | undefined;
}

export class SyncStatus {
  constructor(
    private readonly jobs: SyncJobs,
    private readonly schedules: SyncSchedules,
  ) {}

  /** The status of every entity the integration's provider syncs; a 400 when it syncs nothing. */
  async status(row: IntegrationRow): Promise<{ entities: EntityStatus[]; jobs: SyncJobRow[] }> {
    const provider = providerOf(row);
    if (!provider.sync) resolveEntity(provider, "");
    const [states, recent] = await Promise.all([
      this.schedules.states(row),
      this.jobs.history(row.orgId, row.id, { limit: RECENT_JOBS }),
    ]);
    const entities = Object.entries(provider.sync?.entities ?? {}).map(([entity, spec]): EntityStatus => {
      const jobs = recent.items.filter((j) => j.entity === entity && j.direction === "inbound");
      const current = jobs.find((j) => (ACTIVE as readonly string[]).includes(j.status));
      const last = jobs.find((j) => j !== current && j.completedAt);
      return {
        entity,
        spec,
        state: current?.status ?? last?.status ?? "idle",
        stored: states.find((s) => s.entity === entity),
        current,
        last,
      };
    });
    return { entities, jobs: recent.items.slice(0, LISTED_JOBS) };
  }
}
