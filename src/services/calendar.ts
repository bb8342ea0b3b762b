/**
 * Calendar operations of an integration whose provider declares them (`calendar` in its
 * module): availability over free/busy, and the push-notification channel that keeps its
 * events synced (./calendar/watch.ts). Every method finds the organization's integration first
 * (another organization's is a 404).
 */
import type { Vault } from "../crypto/vault.ts";
import type { Db } from "../db/client.ts";
import type { IntegrationRow } from "../db/schema.ts";
import { ApiError, ErrorCode } from "../errors.ts";
import type { Logger } from "../lib/log.ts";
import type { FreeBusyResult, ProviderCalendar } from "../providers/calendar.ts";
import { ProviderError } from "../providers/runtime.ts";
import type { Activity } from "./activity.ts";
import { freeSlots } from "./calendar/availability.ts";
import { CalendarWatch, watchState } from "./calendar/watch.ts";
import type { Connections } from "./connections.ts";
import { type Integrations, providerOf } from "./integrations.ts";
import { providerApiError } from "./provider-failure.ts";

/** The longest range one availability query covers. */
export const MAX_RANGE_DAYS = 62;

export interface AvailabilityQuery {
  timeMin: string;
  timeMax: string;
  /** Calendar ids; the integration's own calendar when none are given. */
  calendars?: string[];
  timeZone?: string;
  /** Also answer the free slots of this many minutes. */
  slotMinutes?: number;
}

export class Calendar {
  private readonly watches: CalendarWatch;

  constructor(
    db: Db,
    activity: Activity,
    private readonly integrations: Integrations,
    private readonly connections: Connections,
    vault: () => Promise<Vault>,
  ) {
    this.watches = new CalendarWatch(db, activity, integrations, connections, vault);
  }

  private async calendarOf(
    orgId: string,
    id: string,
  ): Promise<{ row: IntegrationRow; cal: ProviderCalendar }> {
    const row = await this.integrations.get(orgId, id);
    const provider = providerOf(row);
    if (!provider.calendar)
      throw new ApiError(ErrorCode.BAD_REQUEST, `${provider.displayName} is not a calendar`, {
        issues: [{ path: "id", message: "not a calendar integration" }],
      });
    return { row, cal: provider.calendar };
  }

  /** Busy intervals per calendar in the range, and the free slots when asked. */
  async availability(orgId: string, id: string, q: AvailabilityQuery) {
    const { row, cal } = await this.calendarOf(orgId, id);
    const range = Date.parse(q.timeMax) - Date.parse(q.timeMin);
    if (!(range > 0) || range > MAX_RANGE_DAYS * 86_400_000) {
      const message =
        range > 0 ? `the range may cover ${MAX_RANGE_DAYS} days at most` : "must be after time_min";
      throw new ApiError(ErrorCode.INVALID_FIELD, `time_max: ${message}`, {
        issues: [{ path: "time_max", message }],
      });
    }
    if (row.disconnectedAt || !row.isActive)
      throw new ApiError(
        ErrorCode.CONFLICT,
        "The integration is inactive or disconnected; activate it first",
      );
    const calendars = q.calendars?.length ? q.calendars : [cal.defaultCalendar(row.config)];
    let result: FreeBusyResult;
    try {
      result = await this.connections.run(row, (ctx) =>
        cal.freeBusy(ctx, {
          timeMin: q.timeMin,
          timeMax: q.timeMax,
          calendars,
          ...(q.timeZone ? { timeZone: q.timeZone } : {}),
        }),
      );
    } catch (e) {
      if (e instanceof ProviderError) throw providerApiError(providerOf(row).displayName, e);
      throw e;
    }
    return {
      time_min: q.timeMin,
      time_max: q.timeMax,
      calendars: result,
      ...(q.slotMinutes ? { free_slots: freeSlots(result, q.timeMin, q.timeMax, q.slotMinutes) } : {}),
    };
  }

  /** The integration's channel as stored. */
  async watchStatus(orgId: string, id: string) {
    const { row } = await this.calendarOf(orgId, id);
    this.watches.watcher(row);
    return watchState(row);
  }

  /** Opens a channel (or renews the one open now). */
  async watch(orgId: string, id: string, actor: string) {
    const { row } = await this.calendarOf(orgId, id);
    return this.watches.start(row, actor);
  }

  /** Stops the channel. */
  async unwatch(orgId: string, id: string, actor: string) {
    const { row } = await this.calendarOf(orgId, id);
    this.watches.watcher(row);
    return this.watches.stop(row, actor);
  }

  /**
   * Before an integration is disconnected or deleted: stops its channel at the provider, if it
   * has one. Never throws (a failure is logged; the channel then runs out on its own).
   */
  async teardown(
    orgId: string,
    ref: { id: string } | { provider: string; integrationId?: string | undefined },
    actor: string,
  ): Promise<void> {
    const row = await ("id" in ref
      ? this.integrations.get(orgId, ref.id)
      : this.integrations.findByProvider(orgId, ref.provider, ref.integrationId)
    ).catch(() => null);
    if (!row || !providerOf(row).calendar?.watch || !watchState(row).channel_id) return;
    await this.watches.stop(row, actor).catch(() => undefined);
  }

  /** Cron: renews channels that end within a day. */
  renewDue = (now: number, log: Logger) => this.watches.renewDue(now, log);
}
