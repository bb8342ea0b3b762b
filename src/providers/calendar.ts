/**
 * What a calendar provider module declares: free/busy for a time range over one or more
 * calendars (the availability a host app offers slots from), and push-notification channels
 * that tell the hub when a calendar changed (each notification starts an incremental sync of
 * the entity the channel watches). The services (src/services/calendar/) validate, scope, store
 * the channel and renew it; modules only speak their provider's wire protocol.
 */
import type { ProviderContext } from "./runtime.ts";

/** A busy interval, RFC 3339 times. */
export interface BusyInterval {
  start: string;
  end: string;
}

export interface FreeBusyRequest {
  /** RFC 3339 (UTC). */
  timeMin: string;
  timeMax: string;
  /** Calendar ids, as the provider names them. */
  calendars: string[];
  /** The zone the provider answers in, when it takes one. */
  timeZone?: string;
}

/** Per calendar: its busy intervals, or the provider's errors for it (unknown calendar, no access). */
export type FreeBusyResult = Record<
  string,
  { busy: BusyInterval[]; errors?: { domain?: string; reason: string }[] }
>;

/** A channel the hub asks the provider to open. */
export interface WatchRequest {
  /** The hub's channel id (unique per channel; a renewal opens a new one). */
  id: string;
  /** The random secret the provider echoes with every notification. */
  token: string;
  /** Where notifications go: the integration's webhook URL. */
  address: string;
  /** When the hub would like it to end (ms epoch); the provider may shorten it. */
  expiresAt: number;
}

/** An open channel as the provider answered. */
export interface WatchChannel {
  id: string;
  /** The provider's id of the watched resource, needed to stop the channel. */
  resourceId: string;
  /** When the provider will end it (ms epoch). */
  expiresAt: number;
}

export interface ProviderCalendar {
  /** The calendar an integration works on when a request names none. */
  defaultCalendar(config: Record<string, unknown>): string;
  /** Busy intervals of each calendar in the range. Throws a ProviderError on failure. */
  freeBusy(ctx: ProviderContext, req: FreeBusyRequest): Promise<FreeBusyResult>;
  /** Push notifications, where the provider has them. */
  watch?: {
    /** The synced entity a notification starts an incremental sync of. */
    entity: string;
    /** How long the hub asks a channel to live (seconds); cron renews it before then. */
    ttlSeconds: number;
    start(ctx: ProviderContext, req: WatchRequest): Promise<WatchChannel>;
    /** Stops a channel; a channel the provider no longer knows counts as stopped. */
    stop(ctx: ProviderContext, channel: { id: string; resourceId: string }): Promise<void>;
  };
}
