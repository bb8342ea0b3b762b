/**
 * Google Calendar event sync (providers.md §14). A full run lists the calendar's events with
 * `singleEvents=true` (recurring events expanded into their instances), `pageToken` paging;
 * the last page carries `nextSyncToken`, which the next run sends as `syncToken` to get only
 * what changed, deletions included as `status: "cancelled"`. A 410 Gone (`fullSyncRequired`)
 * means the token is no longer valid: the engine drops it and runs in full.
 *
 * Pushes create, update and cancel events idempotently: a create uses a client-chosen event id
 * (the caller's `external_id`, else one derived from the push, base32hex), so a retried insert
 * meets 409 `duplicate` and becomes an update of the event it already made. `send_updates`
 * becomes `sendUpdates`; `check_availability` asks freeBusy first and refuses a busy slot.
 */
import { z } from "zod";
import { sha256Hex } from "../../crypto/hash.ts";
import { oauthBearer } from "../other/bearer.ts";
import { field, type ProviderContext, ProviderError, request } from "../runtime.ts";
import {
  type EventData,
  type ProviderSync,
  PushConflict,
  type PushInput,
  type PushResult,
  type SyncEntity,
  type SyncItem,
  type SyncPage,
  SyncTokenExpired,
  str,
} from "../sync.ts";
import { freeBusy } from "./calendar.ts";
import { calendarId, calendarPath, failure, reasonOf } from "./client.ts";
import { fromEvent, intervalOf, toEvent } from "./events.ts";

const PAGE_DEFAULT = 250;
const PAGE_MAX = 2500;

/** Event ids Google accepts from a client: base32hex (0-9, a-v), 5 to 1024 characters. */
export const EVENT_ID = /^[0-9a-v]{5,1024}$/;

export const PushOptions = z
  .object({
    send_updates: z.enum(["all", "externalOnly", "none"]).optional(),
    check_availability: z.boolean().optional(),
  })
  .strict();
type Options = z.infer<typeof PushOptions>;

const entities: Record<string, SyncEntity> = {
  events: {
    kind: "event",
    aliases: ["bookings"],
    incremental: true,
    syncToken: true,
    // Incremental pages report cancelled events; a full run (first, or after a 410) also marks
    // whatever it no longer saw as deleted, as Google asks clients to rebuild their store then.
    deletions: "sweep",
    push: true,
    pushDelete: true,
    pushOptions: PushOptions,
    clientIds: EVENT_ID,
  },
};

function mapItem(item: unknown): SyncItem | null {
  const id = str(field(item, "id"));
  if (!id) return null;
  return { externalId: id, data: toEvent(item), raw: item, modifiedAt: str(field(item, "updated")) };
}

async function page(
  ctx: ProviderContext,
  req: { entity: string; cursor: string | null; syncToken?: string | null; pageSize?: number },
): Promise<SyncPage> {
  if (req.entity !== "events")
    throw new ProviderError("permanent", `Google Calendar cannot sync ${req.entity}`);
  const size = Math.max(1, Math.min(req.pageSize ?? PAGE_DEFAULT, PAGE_MAX));
  const res = await request(ctx, {
    path: calendarPath(ctx, "/events"),
    query: {
      singleEvents: "true",
      maxResults: String(size),
      pageToken: req.cursor ?? undefined,
      syncToken: req.syncToken ?? undefined,
    },
    headers: oauthBearer(ctx),
  });
  if (res.status === 410 && req.syncToken)
    throw new SyncTokenExpired("Google Calendar: the sync token expired (410 Gone)");
  if (res.status !== 200) throw failure(res);
  const list = field(res.data, "items");
  const items: SyncItem[] = [];
  const deleted: string[] = [];
  for (const item of Array.isArray(list) ? list : []) {
    if (field(item, "status") === "cancelled") {
      const id = str(field(item, "id"));
      if (id) deleted.push(id);
      continue;
    }
    const mapped = mapItem(item);
    if (mapped) items.push(mapped);
  }
  const next = str(field(res.data, "nextPageToken"));
  return {
    items,
    deleted,
    next,
    ...(next ? {} : { syncToken: str(field(res.data, "nextSyncToken")) }),
  };
}

const query = (o: Options) => (o.send_updates ? { sendUpdates: o.send_updates } : {});
const eventPath = (ctx: ProviderContext, id: string) =>
  calendarPath(ctx, `/events/${encodeURIComponent(id)}`);

/** The event as Google has it now, or null when it does not exist (or was cancelled). */
async function current(ctx: ProviderContext, id: string): Promise<unknown | null> {
  const res = await request(ctx, { path: eventPath(ctx, id), headers: oauthBearer(ctx) });
  if (res.status === 404 || res.status === 410) return null;
  if (res.status !== 200) throw failure(res);
  return field(res.data, "status") === "cancelled" ? null : res.data;
}

/**
 * Refuses a booking over a busy slot of the integration's calendar (freeBusy). Busy time that
 * lies within the event's own current slot (an update moving it) is its own and is not a clash.
 */
async function assertFree(ctx: ProviderContext, data: EventData, own: unknown | null) {
  const slot = intervalOf(data);
  if (!(slot.end > slot.start))
    throw new PushConflict("the event ends before it starts", { "data.end": "before start" });
  const cal = calendarId(ctx);
  const result = await freeBusy(ctx, {
    timeMin: new Date(slot.start).toISOString(),
    timeMax: new Date(slot.end).toISOString(),
    calendars: [cal],
  });
  const mine = own ? intervalOf(toEvent(own)) : null;
  const clash = (result[cal]?.busy ?? []).filter((b) => {
    const s = Date.parse(b.start);
    const e = Date.parse(b.end);
    if (mine && s >= mine.start && e <= mine.end) return false;
    return s < slot.end && e > slot.start;
  });
  if (clash.length) {
    throw new PushConflict(`the calendar is busy ${clash.map((b) => `${b.start} – ${b.end}`).join(", ")}`, {
      "data.start": clash.map((b) => `busy ${b.start} – ${b.end}`).join("; "),
    });
  }
}

const result = (data: unknown, deleted = false): PushResult => ({
  externalId: String(field(data, "id")),
  data: toEvent(data),
  raw: data,
  ...(deleted ? { deleted } : {}),
});

async function patch(ctx: ProviderContext, id: string, data: EventData, o: Options): Promise<PushResult> {
  const res = await request(ctx, {
    method: "PATCH",
    path: eventPath(ctx, id),
    query: query(o),
    headers: oauthBearer(ctx),
    // A cancelled event of this id comes back when it is written again.
    json: { ...fromEvent(data), status: data.status === "tentative" ? "tentative" : "confirmed" },
  });
  if (res.status !== 200) throw failure(res);
  return result(res.data);
}

async function push(ctx: ProviderContext, _entity: string, input: PushInput): Promise<PushResult> {
  const o = PushOptions.parse(input.options ?? {});
  const data = input.data as EventData;
  const operation = input.operation ?? (input.externalId ? "update" : "create");
  if (operation === "delete") {
    const id = input.externalId ?? "";
    const res = await request(ctx, {
      method: "DELETE",
      path: eventPath(ctx, id),
      query: query(o),
      headers: oauthBearer(ctx),
    });
    // 410: already cancelled (a retried cancel); 404: gone. Either way it is cancelled now.
    if (res.status !== 204 && res.status !== 200 && res.status !== 410 && res.status !== 404)
      throw failure(res);
    return { externalId: id, raw: undefined, deleted: true };
  }
  if (operation === "update") {
    const id = input.externalId ?? "";
    if (o.check_availability) await assertFree(ctx, data, await current(ctx, id));
    return patch(ctx, id, data, o);
  }
  const id = input.externalId ?? `sb${(await sha256Hex(input.key ?? crypto.randomUUID())).slice(0, 40)}`;
  if (o.check_availability) {
    // A retry of a create that reached Google: the event is ours, so no clash; make it current.
    const existing = await current(ctx, id);
    if (existing) return patch(ctx, id, data, o);
    await assertFree(ctx, data, null);
  }
  const res = await request(ctx, {
    method: "POST",
    path: calendarPath(ctx, "/events"),
    query: query(o),
    headers: oauthBearer(ctx),
    json: { id, ...fromEvent(data) },
  });
  if (res.status === 200) return result(res.data);
  // The id exists already (an earlier attempt made it): the create is an update of that event.
  if (res.status === 409 && reasonOf(res) === "duplicate") return patch(ctx, id, data, o);
  throw failure(res);
}

/** The free-slot check before a push is queued (only with `check_availability`). */
async function check(ctx: ProviderContext, _entity: string, input: PushInput): Promise<void> {
  const o = PushOptions.parse(input.options ?? {});
  if (!o.check_availability) return;
  const existing = input.externalId ? await current(ctx, input.externalId) : null;
  // A create naming an event that exists already is a retry of one that was booked.
  if (existing && input.operation === "create") return;
  await assertFree(ctx, input.data as EventData, existing);
}

/** Google Calendar's sync declaration. */
export const sync: ProviderSync = { entities, page, push, check };
