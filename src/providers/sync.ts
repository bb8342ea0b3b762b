/**
 * What a provider module declares to sync records: its entities, one page of a provider list
 * endpoint mapped onto normalized records, and (accounting providers) an outward push. The sync
 * engine (src/services/sync.ts) pages, upserts, paces and logs; provider modules only speak
 * their provider's wire protocol and map items.
 */
import { z } from "zod";
import type { ProviderContext } from "./runtime.ts";

/** The normalized record kinds. */
export type RecordKind = "customer" | "product" | "invoice" | "event" | "payment" | "insight";

const text = z.string().trim().max(1000);
const opt = text.nullable().optional();
/** An ISO 4217 code, upper-cased. */
const currency = z.string().trim().length(3).toUpperCase().nullable().optional();

export const Address = z
  .object({
    line1: opt,
    line2: opt,
    city: opt,
    region: opt,
    postal_code: opt,
    country: opt,
  })
  .strict();
export type Address = z.infer<typeof Address>;

/** Customers, contacts, companies, accounts and partners. */
export const CustomerData = z
  .object({
    name: text.min(1),
    email: z.email().max(320).nullable().optional(),
    phone: z.string().trim().max(40).nullable().optional(),
    company: opt,
    address: Address.nullable().optional(),
  })
  .strict();
export type CustomerData = z.infer<typeof CustomerData>;

/** Products and items. `price` is in major units (12.5 is 12.50). */
export const ProductData = z
  .object({
    sku: opt,
    name: text.min(1),
    description: z.string().max(4000).nullable().optional(),
    price: z.number().finite().nullable().optional(),
    currency,
  })
  .strict();
export type ProductData = z.infer<typeof ProductData>;

export const INVOICE_STATUSES = ["draft", "open", "paid", "void"] as const;

export const InvoiceLine = z
  .object({
    description: opt,
    sku: opt,
    quantity: z.number().finite().default(1),
    unit_price: z.number().finite().nullable().optional(),
    amount: z.number().finite().nullable().optional(),
  })
  .strict();
export type InvoiceLine = z.infer<typeof InvoiceLine>;

/**
 * Invoices. Dates are `YYYY-MM-DD`; amounts in major units. `amount_paid`, `balance` and
 * `paid_at` (the day it was paid in full) are the provider's; a push ignores them.
 */
export const InvoiceData = z
  .object({
    number: opt,
    customer_external_id: opt,
    issue_date: z.iso.date().nullable().optional(),
    due_date: z.iso.date().nullable().optional(),
    currency,
    total: z.number().finite().nullable().optional(),
    status: z.enum(INVOICE_STATUSES).nullable().optional(),
    lines: z.array(InvoiceLine).max(500).default([]),
    amount_paid: z.number().finite().nullable().optional(),
    balance: z.number().finite().nullable().optional(),
    paid_at: z.iso.date().nullable().optional(),
  })
  .strict();
export type InvoiceData = z.infer<typeof InvoiceData>;

/** A start or end: `date_time` (RFC 3339 with offset) and its `time_zone`, or `date` for all-day events. */
export const EventTime = z
  .object({
    date_time: z.iso.datetime({ offset: true }).nullable().optional(),
    date: z.iso.date().nullable().optional(),
    time_zone: opt,
  })
  .strict()
  .refine((t) => Boolean(t.date_time) !== Boolean(t.date), {
    message: "needs date_time or date (one of them)",
  });
export type EventTime = z.infer<typeof EventTime>;

export const ATTENDEE_RESPONSES = ["needsAction", "declined", "tentative", "accepted"] as const;

export const EventPerson = z
  .object({
    email: z.email().max(320),
    display_name: opt,
    response_status: z.enum(ATTENDEE_RESPONSES).nullable().optional(),
  })
  .strict();
export type EventPerson = z.infer<typeof EventPerson>;

/** Calendar events (bookings). `updated` is when the provider last changed it. */
export const EventData = z
  .object({
    summary: z.string().trim().max(1024).nullable().optional(),
    description: z.string().max(8192).nullable().optional(),
    location: opt,
    start: EventTime,
    end: EventTime,
    all_day: z.boolean().default(false),
    status: z.enum(["confirmed", "tentative", "cancelled"]).nullable().optional(),
    attendees: z.array(EventPerson).max(500).default([]),
    organizer: EventPerson.nullable().optional(),
    html_link: z.url().max(2000).nullable().optional(),
    recurring_event_id: opt,
    updated: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .strict();
export type EventData = z.infer<typeof EventData>;

/** Payments received against invoices. `date` is `YYYY-MM-DD`; `amount` in major units. */
export const PaymentData = z
  .object({
    invoice_external_id: opt,
    customer_external_id: opt,
    date: z.iso.date().nullable().optional(),
    amount: z.number().finite(),
    currency,
    method: opt,
    reference: opt,
  })
  .strict();
export type PaymentData = z.infer<typeof PaymentData>;

/**
 * Page and post insights (Facebook): a Page's metrics of one day, or a post's lifetime metrics.
 * `date` is the day (a post's: when it was published).
 */
export const InsightData = z
  .object({
    scope: z.enum(["page", "post"]),
    object_id: text.min(1),
    date: z.iso.date().nullable().optional(),
    impressions: z.number().finite().nullable().optional(),
    reach: z.number().finite().nullable().optional(),
    engagements: z.number().finite().nullable().optional(),
    message: z.string().max(4000).nullable().optional(),
    permalink: z.string().max(2000).nullable().optional(),
  })
  .strict();
export type InsightData = z.infer<typeof InsightData>;

/** A payment recorded through the hub: against one invoice, for a positive amount. */
export const PaymentPush = PaymentData.extend({
  invoice_external_id: text.min(1),
  amount: z.number().finite().positive().max(1e12),
});

/** The schema of each kind's normalized data (also validates outward pushes). */
export const RECORD_SCHEMAS = {
  customer: CustomerData,
  product: ProductData,
  invoice: InvoiceData,
  event: EventData,
  payment: PaymentData,
  insight: InsightData,
} as const;

/** Every record kind, as the API lists them. */
export const RECORD_KINDS = Object.keys(RECORD_SCHEMAS) as [RecordKind, ...RecordKind[]];

/** Where a push must satisfy more than the record schema (a payment names its invoice). */
export const PUSH_SCHEMAS: Partial<Record<RecordKind, z.ZodType>> = { payment: PaymentPush };

export type RecordData = CustomerData | ProductData | InvoiceData | EventData | PaymentData | InsightData;

export interface SyncEntity {
  /** The normalized shape of its records. */
  kind: RecordKind;
  /** Other names the API accepts for it (`customers` for HubSpot contacts, `items` for Xero products). */
  aliases?: string[];
  /** The provider filters by modified time, so runs after the first fetch only what changed. */
  incremental: boolean;
  /**
   * How deletions are found: `tombstones` (pages report `deleted` ids), `sweep` (a full run
   * also marks every record it did not see as deleted: providers that keep no tombstones, or
   * whose full runs are a rebuild, as after an expired sync token).
   */
  deletions: "tombstones" | "sweep";
  /** Records of this entity can be created and updated at the provider. */
  push?: boolean;
  /** Pushes may also delete (cancel) a record at the provider. */
  pushDelete?: boolean;
  /** The options a push of this entity takes (`options` in the push body), validated by this schema. */
  pushOptions?: z.ZodType<Record<string, unknown>>;
  /** A create may name the provider's id (`external_id`), which must match this pattern. */
  clientIds?: RegExp;
  /**
   * Incremental runs start from the opaque token the provider handed back at the end of the last
   * run (`SyncPage.syncToken`) rather than from a modified-since time.
   */
  syncToken?: boolean;
  /** Pushes only create (payments are recorded, never edited through the hub). */
  createOnly?: boolean;
}

/** One item of a page, mapped. */
export interface SyncItem {
  externalId: string;
  /** Normalized data of the entity's kind, without external_id/external_provider (the engine adds them). */
  data: RecordData;
  /** The provider's item as it came. */
  raw: unknown;
  /** When the provider last changed it (ISO 8601), for the next run's modified-since watermark. */
  modifiedAt?: string | null;
}

export interface SyncPageRequest {
  entity: string;
  /** The provider's cursor the previous page returned; null on the first page. */
  cursor: string | null;
  /** Modified-since (ISO 8601) for an incremental run; null for a full one. */
  since: string | null;
  /** Items per page the engine wants; providers cap it at their own maximum. */
  pageSize?: number;
  /**
   * For entities with `syncToken`: the token the last run handed back, on every page of an
   * incremental run; null on a full run.
   */
  syncToken?: string | null;
}

export interface SyncPage {
  items: SyncItem[];
  /** External ids the provider reports as deleted on this page. */
  deleted?: string[];
  /** The cursor of the next page (opaque to the engine, at most 2,000 characters); null when done. */
  next: string | null;
  /** On the last page (entities with `syncToken`): the opaque token the next incremental run starts from. */
  syncToken?: string | null;
}

/**
 * Thrown by `page` when the provider no longer accepts the run's sync token (Google's 410
 * Gone): the engine drops the token and runs the entity in full instead.
 */
export class SyncTokenExpired extends Error {
  override name = "SyncTokenExpired";
}

/**
 * Thrown by `check` (or `push`) when a push would clash with what the provider already holds
 * (a booking over a busy slot): the push is refused with a 409 naming the conflict.
 */
export class PushConflict extends Error {
  override name = "PushConflict";
  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface PushInput {
  /** Set to update the provider's record; absent to create one. */
  externalId?: string;
  /** `create`, `update` or `delete`; absent: update when `externalId` is set, else create. */
  operation?: "create" | "update" | "delete";
  /**
   * The same on every attempt of one push (its id), so a retry after a lost answer never creates
   * twice: a provider that takes client-chosen ids derives the new record's id from it (Google
   * Calendar), one that recognises a repeated request by an id sends it (QuickBooks `requestid`,
   * Xero `Idempotency-Key`).
   */
  key?: string;
  /** The entity's `pushOptions`, validated. */
  options?: Record<string, unknown>;
  data: RecordData;
  /** The stored raw item when updating (SQL Accounting needs `updatecount`, Xero nothing). */
  current?: unknown;
}

export interface PushResult {
  externalId: string;
  /** The record as the provider now has it, mapped, when it answered with it. */
  data?: RecordData;
  raw: unknown;
  /** The record is gone (or cancelled) at the provider now: the hub marks it deleted. */
  deleted?: boolean;
}

export interface ProviderSync {
  entities: Record<string, SyncEntity>;
  /** Fetches and maps one page. Throws a ProviderError (rate_limited with retryAfterSeconds on 429). */
  page(ctx: ProviderContext, req: SyncPageRequest): Promise<SyncPage>;
  /** Creates or updates one record at the provider. */
  push?(ctx: ProviderContext, entity: string, input: PushInput): Promise<PushResult>;
  /**
   * Checks a push before it is queued (a free-slot check); throws PushConflict to refuse it.
   * The hub calls it while the caller waits, so it answers 409 instead of queueing.
   */
  check?(ctx: ProviderContext, entity: string, input: PushInput): Promise<void>;
}

/** A published request budget of one provider account: `limit` calls per `windowSeconds`. */
export interface RateBudget {
  limit: number;
  windowSeconds: number;
}

/** ISO 8601 from a value a provider gave (epoch ms/s number or string, or a date string), if it parses. */
export function isoFrom(value: unknown): string | null {
  if (value === null || value === undefined || value === "") return null;
  if (typeof value === "number") {
    const ms = value < 1e12 ? value * 1000 : value;
    const d = new Date(ms);
    return Number.isFinite(d.getTime()) ? d.toISOString() : null;
  }
  const s = String(value);
  if (/^\d+$/.test(s)) return isoFrom(Number(s));
  const d = new Date(s);
  return Number.isFinite(d.getTime()) ? d.toISOString() : null;
}

/** A number from a provider's numeric or string amount, or null. */
export function amount(value: unknown): number | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(String(value).replace(/,/g, ""));
  return Number.isFinite(n) ? n : null;
}

/** A trimmed non-empty string, or null. */
export function str(value: unknown): string | null {
  if (value === null || value === undefined || typeof value === "object") return null;
  const s = String(value).trim();
  return s ? s : null;
}

/** An email when the value looks like one (providers hold junk in email fields), else null. */
export function email(value: unknown): string | null {
  const s = str(value);
  return s && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s) && s.length <= 320 ? s : null;
}

/** `YYYY-MM-DD` of a provider date, or null. */
export function day(value: unknown): string | null {
  const s = str(value);
  if (!s) return null;
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) return s.slice(0, 10);
  const iso = isoFrom(value);
  return iso ? iso.slice(0, 10) : null;
}
