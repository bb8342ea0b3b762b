/**
 * Simulated Calendar API v3 events, freeBusy and push channels, as Google answers them:
 * - `GET /calendars/{id}/events`: `maxResults` (250, at most 2500), `pageToken`, `singleEvents`
 *   (recurring events expanded into instances `{id}_{start}` with `recurringEventId`),
 *   `showDeleted`, `syncToken` (only changes since, cancelled ones included; 410
 *   `fullSyncRequired` for an unknown or expired token; 400 with `timeMin`/`timeMax`/...);
 *   `nextPageToken` on every page but the last, `nextSyncToken` only on the last.
 * - `POST /calendars/{id}/events` (`sendUpdates`): a client id must be base32hex of 5-1024
 *   characters; an id that exists (also cancelled) is 409 `duplicate`.
 * - `GET|PATCH|PUT|DELETE /calendars/{id}/events/{eventId}`: DELETE of a cancelled event is 410 `deleted`.
 * - `POST /freeBusy`, `POST /calendars/{id}/events/watch`, `POST /channels/stop` in ./channels.ts.
 * - `/_control/calendars/{id}` (no auth, sandbox only): state, seeding, token expiry.
 */
import { Hono } from "hono";
import { authFailure, badRequest, googleError } from "./errors.ts";
import {
  calendarOf,
  channels,
  expireTokens,
  issueToken,
  knownCalendar,
  type SimCalendar,
  type SimEvent,
  stamp,
  tokenSeq,
  touch,
} from "./store.ts";

export const eventsApi = new Hono<{ Bindings: Env }>();

const EVENT_ID = /^[0-9a-v]{5,1024}$/;
const SEND_UPDATES = new Set(["all", "externalOnly", "none"]);
const NOT_WITH_SYNC = [
  "timeMin",
  "timeMax",
  "updatedMin",
  "q",
  "orderBy",
  "iCalUID",
  "privateExtendedProperty",
];

const notFound = () => googleError(404, "NOT_FOUND", "Not Found", "notFound");

/** What Google sends back for an event: its fields plus the ones it owns. */
function resource(cal: SimCalendar, e: SimEvent, instance?: Record<string, unknown>) {
  if (e.status === "cancelled" && !instance)
    return { kind: "calendar#event", etag: `"${e.seq}"`, id: e.id, status: "cancelled" };
  const id = String(instance?.id ?? e.id);
  return {
    kind: "calendar#event",
    etag: `"${e.seq}"`,
    ...e.body,
    ...instance,
    id,
    status: instance?.status ?? e.status,
    htmlLink: `https://www.google.com/calendar/event?eid=${btoa(`${id} ${cal.id}`).replace(/=+$/, "")}`,
    created: e.created,
    updated: stamp(e.seq),
    creator: { email: cal.id, self: true },
    organizer: { email: cal.id, self: true },
    iCalUID: `${e.id}@google.com`,
    sequence: 0,
    reminders: { useDefault: true },
    eventType: "default",
  };
}

export const startOf = (t: unknown) => {
  const o = (t ?? {}) as Record<string, unknown>;
  return Date.parse(String(o.dateTime ?? `${o.date}T00:00:00Z`));
};

const shift = (t: unknown, ms: number) => {
  const o = (t ?? {}) as Record<string, unknown>;
  if (o.date) return { date: new Date(startOf(o) + ms).toISOString().slice(0, 10) };
  return { ...o, dateTime: new Date(startOf(o) + ms).toISOString().replace(".000Z", "Z") };
};

/** Instances of a recurring event (RRULE FREQ=DAILY|WEEKLY with COUNT, at most 100). */
function instances(cal: SimCalendar, e: SimEvent): Record<string, unknown>[] {
  const rule = (e.body.recurrence as string[] | undefined)?.find((r) => r.startsWith("RRULE:")) ?? "";
  const freq = /FREQ=(DAILY|WEEKLY)/.exec(rule)?.[1];
  const count = Math.min(100, Number(/COUNT=(\d+)/.exec(rule)?.[1] ?? 1));
  const step = (freq === "WEEKLY" ? 7 : 1) * 86_400_000;
  const start = e.body.start as Record<string, unknown>;
  return Array.from({ length: count }, (_, i) => {
    const s = shift(start, i * step) as Record<string, unknown>;
    const suffix = s.date
      ? String(s.date).replace(/-/g, "")
      : new Date(startOf(s))
          .toISOString()
          .replace(/[-:]/g, "")
          .replace(/\.\d{3}/, "");
    return resource(cal, e, {
      id: `${e.id}_${suffix}`,
      recurringEventId: e.id,
      originalStartTime: s,
      start: s,
      end: shift(e.body.end, i * step),
      recurrence: undefined,
      status: e.status,
    });
  });
}

/** The events of a listing, expanded when `singleEvents`, in a stable order. */
export function listing(
  cal: SimCalendar,
  since: number | null,
  upTo: number,
  single: boolean,
  showDeleted: boolean,
) {
  const out: Record<string, unknown>[] = [];
  const sorted = [...cal.events.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const e of sorted) {
    if (e.seq > upTo) continue;
    if (since !== null ? e.seq <= since : e.status === "cancelled" && !showDeleted) continue;
    if (single && e.body.recurrence) out.push(...instances(cal, e));
    else out.push(resource(cal, e));
  }
  return out;
}

const pageToken = (p: { o: number; s: number; since: number | null }) => btoa(JSON.stringify(p));
function readPageToken(raw: string): { o: number; s: number; since: number | null } | null {
  try {
    const p = JSON.parse(atob(raw));
    return typeof p.o === "number" && typeof p.s === "number" ? p : null;
  } catch {
    return null;
  }
}

eventsApi.use("/calendars/:cal/*", async (c, next) => {
  const denied = authFailure(c.req.header("authorization"));
  if (denied) return denied;
  const cal = c.req.param("cal");
  if (!knownCalendar(cal)) return notFound();
  calendarOf(cal).requests.push({
    method: c.req.method,
    path: new URL(c.req.url).pathname,
    query: c.req.query(),
  });
  return next();
});

eventsApi.get("/calendars/:cal/events", (c) => {
  const cal = calendarOf(c.req.param("cal"));
  const q = c.req.query();
  const max = Math.max(1, Math.min(Number(q.maxResults ?? 250) || 250, 2500));
  const single = q.singleEvents === "true";
  let since: number | null = null;
  let upTo = cal.seq;
  let offset = 0;
  if (q.syncToken) {
    const clash = NOT_WITH_SYNC.find((k) => q[k] !== undefined);
    if (clash) return badRequest(`Sync token cannot be used with ${clash}.`);
    since = tokenSeq(cal, q.syncToken);
    if (since === null)
      return googleError(
        410,
        "GONE",
        "Sync token is no longer valid, a full sync is required.",
        "fullSyncRequired",
        undefined,
        "calendar",
      );
  }
  if (q.pageToken) {
    const p = readPageToken(q.pageToken);
    if (!p) return badRequest("Invalid page token value.");
    offset = p.o;
    upTo = p.s;
    since = p.since;
  }
  const all = listing(cal, since, upTo, single, q.showDeleted === "true" || since !== null);
  const items = all.slice(offset, offset + max);
  const last = offset + max >= all.length;
  return c.json({
    kind: "calendar#events",
    etag: `"${upTo}"`,
    summary: cal.id,
    updated: stamp(upTo),
    timeZone: "Europe/London",
    accessRole: "owner",
    defaultReminders: [],
    ...(last
      ? { nextSyncToken: issueToken(cal, upTo) }
      : { nextPageToken: pageToken({ o: offset + max, s: upTo, since }) }),
    items,
  });
});

export async function jsonBody(req: Request): Promise<Record<string, unknown> | null> {
  try {
    const b = await req.json();
    return b && typeof b === "object" && !Array.isArray(b) ? (b as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

/** The body's problem as Google words it, or null. */
function invalidEvent(b: Record<string, unknown>): Response | null {
  if (!b.end) return badRequest("Missing end time.", "required");
  if (!b.start) return badRequest("Missing start time.", "required");
  if (startOf(b.end) < startOf(b.start))
    return badRequest("The specified time range is empty.", "timeRangeEmpty");
  return null;
}

const sendUpdatesOf = (q: string | undefined) =>
  q === undefined ? null : SEND_UPDATES.has(q) ? q : undefined;

eventsApi.post("/calendars/:cal/events", async (c) => {
  const cal = calendarOf(c.req.param("cal"));
  const send = sendUpdatesOf(c.req.query("sendUpdates"));
  if (send === undefined) return badRequest("Invalid value for sendUpdates.");
  const b = await jsonBody(c.req.raw);
  if (!b) return badRequest("Parse Error", "parseError");
  const id = b.id === undefined ? crypto.randomUUID().replace(/-/g, "") : String(b.id);
  if (!EVENT_ID.test(id)) return badRequest("Invalid resource id value.");
  if (cal.events.has(id))
    return googleError(409, "ALREADY_EXISTS", "The requested identifier already exists.", "duplicate");
  const invalid = invalidEvent(b);
  if (invalid) return invalid;
  const { id: _id, status, ...body } = b;
  const e: SimEvent = {
    id,
    status: status === "tentative" ? "tentative" : "confirmed",
    body,
    seq: 0,
    created: stamp(cal.seq + 1),
    sendUpdates: send,
  };
  touch(cal, e);
  return c.json(resource(cal, e));
});

eventsApi.get("/calendars/:cal/events/:id", (c) => {
  const cal = calendarOf(c.req.param("cal"));
  const e = cal.events.get(c.req.param("id"));
  return e ? c.json(resource(cal, e)) : notFound();
});

for (const method of ["patch", "put"] as const) {
  eventsApi[method]("/calendars/:cal/events/:id", async (c) => {
    const cal = calendarOf(c.req.param("cal"));
    const e = cal.events.get(c.req.param("id"));
    if (!e) return notFound();
    const send = sendUpdatesOf(c.req.query("sendUpdates"));
    if (send === undefined) return badRequest("Invalid value for sendUpdates.");
    const b = await jsonBody(c.req.raw);
    if (!b) return badRequest("Parse Error", "parseError");
    const { id: _id, status, ...body } = b;
    const next = method === "put" ? body : { ...e.body, ...body };
    const invalid = invalidEvent(next);
    if (invalid) return invalid;
    e.body = next;
    if (status === "confirmed" || status === "tentative" || status === "cancelled") e.status = status;
    e.sendUpdates = send;
    touch(cal, e);
    return c.json(resource(cal, e));
  });
}

eventsApi.delete("/calendars/:cal/events/:id", (c) => {
  const cal = calendarOf(c.req.param("cal"));
  const e = cal.events.get(c.req.param("id"));
  if (!e) return notFound();
  const send = sendUpdatesOf(c.req.query("sendUpdates"));
  if (send === undefined) return badRequest("Invalid value for sendUpdates.");
  if (e.status === "cancelled") return googleError(410, "GONE", "Resource has been deleted", "deleted");
  e.status = "cancelled";
  e.sendUpdates = send;
  touch(cal, e);
  return c.body(null, 204);
});

// ---- sandbox control (no auth) ----------------------------------------------------------

eventsApi.get("/_control/calendars/:cal", (c) => {
  const cal = calendarOf(c.req.param("cal"));
  return c.json({
    id: cal.id,
    seq: cal.seq,
    events: [...cal.events.values()].map((e) => ({ ...resource(cal, e), send_updates: e.sendUpdates })),
    channels: [...channels.values()].filter((ch) => ch.calendar === cal.id),
    requests: cal.requests,
  });
});

/** Seeds or changes events as a user in Google Calendar would: `{events: [{id, ...Event}], cancel: [ids]}`. */
eventsApi.post("/_control/calendars/:cal/events", async (c) => {
  const cal = calendarOf(c.req.param("cal"));
  const b = (await jsonBody(c.req.raw)) ?? {};
  for (const raw of (Array.isArray(b.events) ? b.events : []) as Record<string, unknown>[]) {
    const { id, status, ...body } = raw;
    const key = String(id ?? crypto.randomUUID().replace(/-/g, ""));
    const existing = cal.events.get(key);
    const e: SimEvent = existing ?? {
      id: key,
      status: "confirmed",
      body: {},
      seq: 0,
      created: stamp(cal.seq + 1),
      sendUpdates: null,
    };
    e.body = { ...e.body, ...body };
    e.status = status === "tentative" || status === "cancelled" ? status : "confirmed";
    touch(cal, e);
  }
  for (const id of (Array.isArray(b.cancel) ? b.cancel : []) as string[]) {
    const e = cal.events.get(id);
    if (e) {
      e.status = "cancelled";
      touch(cal, e);
    }
  }
  return c.json({ seq: cal.seq });
});

eventsApi.post("/_control/calendars/:cal/expire-tokens", (c) => {
  expireTokens(calendarOf(c.req.param("cal")));
  return c.json({ expired: true });
});
