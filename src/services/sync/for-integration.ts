/**
 * The sync engine as the API asks for it: each method finds the organization's integration a
 * path names (a 404 otherwise) and the entity it names, then calls the part that does the work.
 */
import type { IntegrationRow } from "../../db/schema.ts";
import { ApiError, ErrorCode } from "../../errors.ts";
import type { IntegrationRef, Integrations } from "../integrations.ts";
import { providerOf } from "../integrations.ts";
import type { SyncJobs } from "./jobs.ts";
import type { SyncPushes } from "./pushes.ts";
import type { SyncRecords } from "./records.ts";
import type { SyncSchedules } from "./schedules.ts";
import { type PushOptions, resolveEntity, type StartOptions } from "./shared.ts";
import type { SyncStatus } from "./status.ts";

/** The parts the requests are answered by. */
export interface SyncParts {
  jobs: SyncJobs;
  schedules: SyncSchedules;
  records: SyncRecords;
  pushes: SyncPushes;
  statuses: SyncStatus;
}

type HistoryFilter = Parameters<SyncJobs["history"]>[2];
type RecordsPage = Parameters<SyncRecords["listRecords"]>[3];
type ExportOptions = Parameters<SyncRecords["exportCsv"]>[3];

export class IntegrationSync {
  constructor(
    private readonly integrations: Integrations,
    private readonly parts: SyncParts,
  ) {}

  /** Starts a sync of one entity of the integration a path names, or answers the job under way. */
  async startFor(orgId: string, ref: IntegrationRef, entity: string, opts: StartOptions) {
    const row = await this.integrations.resolve(orgId, ref);
    return this.parts.jobs.start(row, entity, opts);
  }

  /** The sync status of the integration a path names, with the integration. */
  async statusFor(orgId: string, ref: IntegrationRef) {
    const row = await this.integrations.resolve(orgId, ref);
    return { row, status: await this.parts.statuses.status(row) };
  }

  /** The integration's jobs, newest first; `entity` may be an alias. */
  async historyFor(orgId: string, id: string, filter: HistoryFilter) {
    const row = await this.integrations.get(orgId, id);
    const entity = filter.entity ? resolveEntity(providerOf(row), filter.entity).entity : undefined;
    return this.parts.jobs.history(orgId, row.id, { ...filter, entity });
  }

  /** Sets (or clears, with null) the schedule of the integration's given entities. */
  async scheduleFor(
    orgId: string,
    id: string,
    entities: string[] | undefined,
    intervalMinutes: number | null,
  ) {
    const row = await this.integrations.get(orgId, id);
    return this.parts.schedules.schedule(row, entities, intervalMinutes);
  }

  /** Records of the entity a path names, in id order. */
  async recordsFor(orgId: string, id: string, entity: string, page: RecordsPage) {
    const row = await this.integrations.get(orgId, id);
    return this.parts.records.listRecords(orgId, row.id, this.recordEntity(row, entity), page);
  }

  /** Records of the entity a path names as CSV (MAX_EXPORT_RECORDS at most). */
  async exportFor(orgId: string, id: string, entity: string, opts: ExportOptions) {
    const row = await this.integrations.get(orgId, id);
    return this.parts.records.exportCsv(orgId, row.id, this.recordEntity(row, entity), opts);
  }

  /** One record of the entity a path names, by its id or its provider's id. */
  async recordFor(orgId: string, id: string, entity: string, recordId: string) {
    const row = await this.integrations.get(orgId, id);
    return this.parts.records.record(orgId, row.id, this.recordEntity(row, entity), recordId);
  }

  /** Queues a create or update of a record at the integration's provider. */
  async pushFor(orgId: string, id: string, entity: string, opts: PushOptions) {
    const row = await this.integrations.get(orgId, id);
    return this.parts.pushes.push(row, entity, opts);
  }

  /** One push of the integration; anything else is a 404. */
  async getPushFor(orgId: string, id: string, pushId: string) {
    const row = await this.integrations.get(orgId, id);
    return this.parts.pushes.getPush(orgId, row.id, pushId);
  }

  /** One sync job of the integration; another integration's or a missing one is a 404. */
  async jobFor(orgId: string, id: string, jobId: string) {
    const row = await this.integrations.get(orgId, id);
    const job = await this.parts.jobs.job(orgId, jobId);
    if (job.integrationId !== row.id) throw new ApiError(ErrorCode.NOT_FOUND, "Sync job not found");
    return job;
  }

  /** The stored entity a records path names: a synced entity (or alias), or `contacts` of lead sources. */
  private recordEntity(row: IntegrationRow, name: string): string {
    const provider = providerOf(row);
    // Lead sources (sign-up pages, Lead Ads) keep their leads as `contacts`, beside any synced entity.
    if (name === "contacts" && (!provider.sync || provider.leads) && !provider.sync?.entities.contacts)
      return name;
    return resolveEntity(provider, name).entity;
  }
}
