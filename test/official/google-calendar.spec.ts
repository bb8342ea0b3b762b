/**
 * The hub's Google Calendar requests agree with Google's own Node client
 * (`@googleapis/calendar`, the generated Calendar API v3 client): for each call the hub makes
 * (events.list full and incremental, insert with sendUpdates, patch, delete, freeBusy,
 * events.watch, channels.stop), the official client is asked for the same call with a
 * capturing adapter, and the method, path, query and JSON body must be the same.
 */
import { calendar } from "@googleapis/calendar";
import { describe, expect, it } from "vitest";
import { calendar as hubCalendar } from "../../src/providers/google_calendar/calendar.ts";
import { provider } from "../../src/providers/google_calendar/index.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import type { EventData } from "../../src/providers/sync.ts";

const CAL = "bookings@group.calendar.google.com";

interface Wire {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

const wireOf = (method: string, url: URL, body: unknown): Wire => ({
  method: method.toUpperCase(),
  path: url.pathname,
  query: Object.fromEntries([...url.searchParams].sort(([a], [b]) => (a < b ? -1 : 1))),
  body: body === undefined || body === "" ? undefined : typeof body === "string" ? JSON.parse(body) : body,
});

/** What the official client sends for one call (answered with `answer`, never sent anywhere). */
async function official(
  call: (c: ReturnType<typeof calendar>, opts: object) => Promise<unknown>,
  answer: unknown = {},
) {
  let seen: Wire | undefined;
  const client = calendar({ version: "v3" });
  await call(client, {
    adapter: async (o: { method?: string; url: URL; data?: unknown; body?: unknown }) => {
      seen = wireOf(o.method ?? "GET", o.url, o.data ?? o.body);
      return { data: answer, status: 200, statusText: "OK", headers: new Headers(), config: o };
    },
  });
  if (!seen) throw new Error("the official client sent nothing");
  return seen;
}

/** What the hub sends for one call, answered with `answer` (status `status`). */
async function hub(fn: (ctx: ProviderContext) => Promise<unknown>, answer: unknown = {}, status = 200) {
  const seen: Wire[] = [];
  const ctx: ProviderContext = {
    baseUrl: provider.defaultBaseUrl,
    config: { calendar_id: CAL },
    secrets: { access_token: "ya29.test" },
    timeoutMs: 5000,
    http: async (req) => {
      const text = await req.text();
      seen.push(wireOf(req.method, new URL(req.url), text || undefined));
      return status === 204 ? new Response(null, { status }) : Response.json(answer, { status });
    },
  };
  await fn(ctx);
  return seen;
}

const booking: EventData = {
  summary: "Consultation",
  description: "First visit",
  location: "Room 2",
  start: { date_time: "2026-12-10T10:00:00Z", time_zone: "Europe/London" },
  end: { date_time: "2026-12-10T11:00:00Z", time_zone: "Europe/London" },
  all_day: false,
  attendees: [{ email: "client@example.com", display_name: "Client", response_status: "needsAction" }],
};
const event = {
  id: "booking1042",
  status: "confirmed",
  start: { dateTime: "2026-12-10T10:00:00Z" },
  end: { dateTime: "2026-12-10T11:00:00Z" },
};
const sync = provider.sync;
const push = sync.push as NonNullable<typeof sync.push>;
const watch = hubCalendar.watch as NonNullable<typeof hubCalendar.watch>;

describe("Google Calendar requests match @googleapis/calendar", () => {
  it("events.list: a full run's page and an incremental run's page", async () => {
    const [full] = await hub((ctx) => sync.page(ctx, { entity: "events", cursor: "PT1", since: null }), {
      items: [],
    });
    expect(full).toEqual(
      await official((c, o) =>
        c.events.list({ calendarId: CAL, singleEvents: true, maxResults: 250, pageToken: "PT1" }, o),
      ),
    );
    const [inc] = await hub(
      (ctx) => sync.page(ctx, { entity: "events", cursor: null, since: null, syncToken: "ST1" }),
      { items: [], nextSyncToken: "ST2" },
    );
    expect(inc).toEqual(
      await official((c, o) =>
        c.events.list({ calendarId: CAL, singleEvents: true, maxResults: 250, syncToken: "ST1" }, o),
      ),
    );
  });

  it("events.insert with a client id and sendUpdates, events.patch and events.delete", async () => {
    const [insert] = await hub(
      (ctx) =>
        push(ctx, "events", {
          operation: "create",
          externalId: "booking1042",
          data: booking,
          options: { send_updates: "all" },
        }),
      event,
    );
    const body = {
      id: "booking1042",
      summary: "Consultation",
      description: "First visit",
      location: "Room 2",
      start: { dateTime: "2026-12-10T10:00:00Z", timeZone: "Europe/London" },
      end: { dateTime: "2026-12-10T11:00:00Z", timeZone: "Europe/London" },
      attendees: [{ email: "client@example.com", displayName: "Client", responseStatus: "needsAction" }],
    };
    expect(insert).toEqual(
      await official((c, o) =>
        c.events.insert({ calendarId: CAL, sendUpdates: "all", requestBody: body }, o),
      ),
    );
    const [patch] = await hub(
      (ctx) =>
        push(ctx, "events", { externalId: "booking1042", data: booking, options: { send_updates: "none" } }),
      event,
    );
    const { id: _id, ...fields } = body;
    expect(patch).toEqual(
      await official((c, o) =>
        c.events.patch(
          {
            calendarId: CAL,
            eventId: "booking1042",
            sendUpdates: "none",
            requestBody: { ...fields, status: "confirmed" },
          },
          o,
        ),
      ),
    );
    const [del] = await hub(
      (ctx) =>
        push(ctx, "events", {
          operation: "delete",
          externalId: "booking1042",
          data: booking,
          options: { send_updates: "externalOnly" },
        }),
      undefined,
      204,
    );
    expect(del).toEqual(
      await official((c, o) =>
        c.events.delete({ calendarId: CAL, eventId: "booking1042", sendUpdates: "externalOnly" }, o),
      ),
    );
  });

  it("freebusy.query, events.watch and channels.stop", async () => {
    const range = { timeMin: "2026-12-07T09:00:00.000Z", timeMax: "2026-12-07T17:00:00.000Z" };
    const [fb] = await hub(
      (ctx) =>
        hubCalendar.freeBusy(ctx, { ...range, calendars: [CAL, "primary"], timeZone: "Europe/London" }),
      {
        calendars: {},
      },
    );
    expect(fb).toEqual(
      await official((c, o) =>
        c.freebusy.query(
          { requestBody: { ...range, timeZone: "Europe/London", items: [{ id: CAL }, { id: "primary" }] } },
          o,
        ),
      ),
    );
    const channel = {
      id: "0b9c3c1e-7f1e-4d1a-9d7b-1c1b2a3d4e5f",
      token: "tok",
      address: "https://hub.example/webhooks/google_calendar/x",
      expiresAt: 1_800_000_000_000,
    };
    const [w] = await hub((ctx) => watch.start(ctx, channel), {
      id: channel.id,
      resourceId: "res1",
      expiration: "1800000000000",
    });
    expect(w).toEqual(
      await official((c, o) =>
        c.events.watch(
          {
            calendarId: CAL,
            requestBody: {
              id: channel.id,
              type: "web_hook",
              address: channel.address,
              token: "tok",
              expiration: "1800000000000",
            },
          },
          o,
        ),
      ),
    );
    const [stop] = await hub(
      (ctx) => watch.stop(ctx, { id: channel.id, resourceId: "res1" }),
      undefined,
      204,
    );
    expect(stop).toEqual(
      await official((c, o) => c.channels.stop({ requestBody: { id: channel.id, resourceId: "res1" } }, o)),
    );
  });
});
