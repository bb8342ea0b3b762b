/**
 * The sync engine. A job syncs one entity of one integration: it pages through the provider's
 * list endpoint one queue message per page, maps each item onto its normalized record, upserts
 * by (integration, entity, external_id) in D1 batches of at most 100 bound parameters together
 * with the job's progress (one atomic batch per page, guarded by `pages_done`, so a repeated
 * or crashed delivery never counts or writes anything twice), and keeps the provider's cursor
 * and a modified-since watermark (or the provider's own sync token) so the next run is
 * incremental. Deletions come from the provider's tombstones, or, where it keeps none, from a
 * full run's sweep of what it did not see. Pages and pushes are kinds of job of the job engine
 * (src/jobs/engine.ts): a 429 pauses the job until Retry-After; other transient failures retry
 * with the engine's backoff; anything else fails the job with its reason and a dead letter in
 * D1 that says so.
 *
 * Outward pushes (accounting providers) create or update a record at the provider from the
 * queue, idempotent under an Idempotency-Key, and store the provider's id.
 *
 * The parts live in ./sync/: jobs, pages, schedules, status, records and pushes, and the API's
 * requests of one integration (for-integration).
 */
import type { Db } from "../db/client.ts";
import type { Shards } from "../db/shards.ts";
import type { Activity } from "./activity.ts";
import type { Connections } from "./connections.ts";
import type { Events } from "./events.ts";
import type { Integrations } from "./integrations.ts";
import { IntegrationSync } from "./sync/for-integration.ts";
import { SyncJobs } from "./sync/jobs.ts";
import { SyncPages } from "./sync/pages.ts";
import { SyncPushes } from "./sync/pushes.ts";
import { SyncRecords } from "./sync/records.ts";
import { SyncSchedules } from "./sync/schedules.ts";
import { SyncStatus } from "./sync/status.ts";

export {
  LEASE_MS,
  MAX_ATTEMPTS,
  type PushOptions,
  resolveEntity,
  STUCK_MS,
  type StartOptions,
} from "./sync/shared.ts";

/** The sync service: one object over its parts, so callers keep one `services.sync`. */
export class Sync {
  private readonly jobs: SyncJobs;
  private readonly pages: SyncPages;
  private readonly schedules: SyncSchedules;
  private readonly records: SyncRecords;
  private readonly pushes: SyncPushes;
  private readonly statuses: SyncStatus;
  private readonly requests: IntegrationSync;

  constructor(
    db: Db,
    shards: Shards,
    activity: Activity,
    integrations: Integrations,
    connections: Connections,
    events: Events,
    queue: Queue,
  ) {
    const deps = { db, shards, activity, integrations, connections, events, queue };
    this.jobs = new SyncJobs(deps);
    this.pages = new SyncPages(deps);
    this.schedules = new SyncSchedules(deps, this.jobs);
    this.records = new SyncRecords(shards);
    this.pushes = new SyncPushes(deps, this.records);
    this.statuses = new SyncStatus(this.jobs, this.schedules);
    this.requests = new IntegrationSync(integrations, {
      jobs: this.jobs,
      schedules: this.schedules,
      records: this.records,
      pushes: this.pushes,
      statuses: this.statuses,
    });
  }

  /** Starts a sync of one entity, or answers the job already queued or running for it. */
  start: SyncJobs["start"] = (...a) => this.jobs.start(...a);
  /** The organization's sync job `id`; anything else is a 404. */
  job: SyncJobs["job"] = (...a) => this.jobs.job(...a);
  /** An integration's jobs, newest first, filtered. */
  history: SyncJobs["history"] = (...a) => this.jobs.history(...a);
  /**
   * Cron: drives again the jobs and pushes whose queue message was lost or whose worker died
   * (the job engine's re-drive of each kind); answers how many were re-enqueued.
   */
  redrive = async (now = Date.now()): Promise<number> =>
    (await this.pages.redrive(now)) + (await this.pushes.redrive(now));

  /** Processes page `page` of a job (one queue message). Never throws for a provider failure. */
  processPage: SyncPages["processPage"] = (...a) => this.pages.processPage(...a);

  /** Each entity's sync state (watermark, schedule) of an integration. */
  states: SyncSchedules["states"] = (...a) => this.schedules.states(...a);
  /** Sets (or clears, with null) the schedule of the given entities. */
  schedule: SyncSchedules["schedule"] = (...a) => this.schedules.schedule(...a);
  /** Cron: starts the scheduled syncs that are due, each once. */
  runSchedules: SyncSchedules["runSchedules"] = (...a) => this.schedules.runSchedules(...a);

  /** Every entity's state, current and last job, and the latest jobs (`sync-status`). */
  status: SyncStatus["status"] = (...a) => this.statuses.status(...a);

  /** Records of an entity in id order. */
  listRecords: SyncRecords["listRecords"] = (...a) => this.records.listRecords(...a);
  /** One record by its id or its provider's id; anything else is a 404. */
  record: SyncRecords["record"] = (...a) => this.records.record(...a);

  /** Queues a create or update of a record at the provider (idempotent under a key). */
  push: SyncPushes["push"] = (...a) => this.pushes.push(...a);
  /** One push of the integration; anything else is a 404. */
  getPush: SyncPushes["getPush"] = (...a) => this.pushes.getPush(...a);
  /** Sends one push to the provider (one queue message). */
  processPush: SyncPushes["processPush"] = (...a) => this.pushes.processPush(...a);
  /** The `sync.page` job kind. */
  get pageJob(): SyncPages["pageJob"] {
    return this.pages.pageJob;
  }
  /** The `record.push` job kind. */
  get pushJob(): SyncPushes["pushJob"] {
    return this.pushes.pushJob;
  }

  // The API's requests, each of the organization's integration a path names (a 404 otherwise).
  /** Starts a sync of one entity, or answers the job under way. */
  startFor: IntegrationSync["startFor"] = (...a) => this.requests.startFor(...a);
  /** The integration and its sync status. */
  statusFor: IntegrationSync["statusFor"] = (...a) => this.requests.statusFor(...a);
  /** The integration's jobs, newest first, filtered. */
  historyFor: IntegrationSync["historyFor"] = (...a) => this.requests.historyFor(...a);
  /** Sets (or clears) the schedule of the integration's entities. */
  scheduleFor: IntegrationSync["scheduleFor"] = (...a) => this.requests.scheduleFor(...a);
  /** Records of an entity of the integration. */
  recordsFor: IntegrationSync["recordsFor"] = (...a) => this.requests.recordsFor(...a);
  /** Records of the integration as CSV. */
  exportFor: IntegrationSync["exportFor"] = (...a) => this.requests.exportFor(...a);
  /** One record of the integration. */
  recordFor: IntegrationSync["recordFor"] = (...a) => this.requests.recordFor(...a);
  /** Queues a push of a record to the integration's provider. */
  pushFor: IntegrationSync["pushFor"] = (...a) => this.requests.pushFor(...a);
  /** One push of the integration. */
  getPushFor: IntegrationSync["getPushFor"] = (...a) => this.requests.getPushFor(...a);
  /** One sync job of the integration. */
  jobFor: IntegrationSync["jobFor"] = (...a) => this.requests.jobFor(...a);
}
