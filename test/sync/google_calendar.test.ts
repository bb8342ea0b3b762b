/**
 * Google Calendar end to end against the simulator: full runs paged with singleEvents, an
 * incremental run from the sync token, a 410 that turns into a full run, cancelled events as
 * deletions, normalized fields (all-day too), idempotent bookings (create, update, cancel) with
 * sendUpdates, the free-slot check, the availability endpoint, and the watch channel (opened,
 * renewed by cron, stopped on disconnect; notifications verified and turned into a sync).
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { provider } from "../../src/providers/google_calendar/index.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import type { EventData } from "../../src/providers/sync.ts";
import { call, newIntegration, newOrg, type TestOrg } from "../harness.ts";
import { newCalendar as calendarOf, expireTokens, seed, state, timed } from "./calendar-helpers.ts";
import { allRecords, syncAndWait, waitForPush } from "./helpers.ts";

vi.setConfig({ testTimeout: 120_000 });

let org: TestOrg;
beforeAll(async () => {
  org = await newOrg("Calendar Org");
});
const newCalendar = () => calendarOf(org);

describe("google_calendar sync", () => {
  it("declares events with sync tokens, pushes, options and calendar operations", () => {
    expect(provider.capabilities).toMatchObject({
      sync: ["events"],
      push: ["events"],
      webhooks: true,
      calendar: true,
    });
    expect(provider.sync.entities.events).toMatchObject({ kind: "event", syncToken: true, pushDelete: true });
  });

  it("a full run pages with singleEvents and pageToken; the token of the last page makes the next run incremental", async () => {
    const { id, calendarId } = await newCalendar();
    const events = Array.from({ length: 260 }, (_, i) =>
      timed(`evt${String(i).padStart(4, "0")}`, "2026-12-01T09:00:00Z", "2026-12-01T09:30:00Z"),
    );
    events.push({
      ...timed("weekly001", "2026-12-02T10:00:00Z", "2026-12-02T11:00:00Z"),
      recurrence: ["RRULE:FREQ=WEEKLY;COUNT=3"],
    });
    events.push({
      id: "allday001",
      summary: "Company offsite",
      description: "All hands",
      location: "Kuala Lumpur",
      start: { date: "2026-12-24" },
      end: { date: "2026-12-25" },
      attendees: [
        { email: "nadia@example.com", displayName: "Nadia", responseStatus: "accepted" },
        { email: "ben@example.com", responseStatus: "needsAction" },
      ],
    } as never);
    expect((await seed(calendarId, { events })).status).toBe(200);

    const job = await syncAndWait(org, id, "events");
    expect(job.status, job.error_message).toBe("success");
    expect(job.mode).toBe("full");
    expect(job.pages_done).toBe(2);
    expect(job.records_synced).toBe(260 + 3 + 1);
    const lists = (await state(calendarId)).requests.filter(
      (r: { method: string; path: string }) => r.method === "GET" && r.path.endsWith("/events"),
    );
    expect(lists[0].query).toEqual({ singleEvents: "true", maxResults: "250" });
    expect(lists[1].query.pageToken).toBeTruthy();
    expect(lists[1].query.syncToken).toBeUndefined();

    const records = await allRecords(org, id, "events");
    const allDay = records.find((r) => r.external_id === "allday001");
    expect(allDay?.data).toMatchObject({
      summary: "Company offsite",
      description: "All hands",
      location: "Kuala Lumpur",
      start: { date: "2026-12-24", date_time: null },
      end: { date: "2026-12-25", date_time: null },
      all_day: true,
      status: "confirmed",
      attendees: [
        { email: "nadia@example.com", display_name: "Nadia", response_status: "accepted" },
        { email: "ben@example.com", display_name: null, response_status: "needsAction" },
      ],
      organizer: { email: calendarId, display_name: null },
      recurring_event_id: null,
      external_provider: "google_calendar",
    });
    expect(String(allDay?.data.html_link)).toMatch(/^https:\/\/www\.google\.com\/calendar\/event\?eid=/);
    expect(allDay?.data.updated).toMatch(/^2026-01-01T/);
    const instance = records.find((r) => r.external_id === "weekly001_20261209T100000Z");
    expect(instance?.data).toMatchObject({
      recurring_event_id: "weekly001",
      all_day: false,
      start: { date_time: "2026-12-09T10:00:00Z", time_zone: "Europe/London", date: null },
    });

    // Changes at Google: one moved, one cancelled, one new. The next run asks with the token.
    await seed(calendarId, {
      events: [
        timed("evt0001", "2026-12-03T09:00:00Z", "2026-12-03T10:00:00Z"),
        timed("newone01", "2026-12-04T09:00:00Z", "2026-12-04T10:00:00Z"),
      ],
      cancel: ["evt0002"],
    });
    const inc = await syncAndWait(org, id, "events");
    expect(inc.status, inc.error_message).toBe("success");
    expect(inc.mode).toBe("incremental");
    expect(inc.records_synced).toBe(2);
    expect(inc.records_deleted).toBe(1);
    const last = (await state(calendarId)).requests
      .filter((r: { path: string }) => r.path.endsWith("/events"))
      .at(-1);
    expect(last.query.syncToken).toBeTruthy();
    expect(last.query.singleEvents).toBe("true");
    const after = await allRecords(org, id, "events", "&include_deleted=true");
    expect(after.find((r) => r.external_id === "evt0002")?.deleted_at).toBeTruthy();
    expect(after.find((r) => r.external_id === "evt0001")?.data.start).toMatchObject({
      date_time: "2026-12-03T09:00:00Z",
    });
    expect(after.find((r) => r.external_id === "newone01")?.deleted_at).toBeNull();
  });

  it("a 410 Gone for the sync token drops it and runs in full, sweeping what is gone", async () => {
    const { id, calendarId } = await newCalendar();
    await seed(calendarId, {
      events: [
        timed("keep0001", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z"),
        timed("gone0001", "2026-12-01T11:00:00Z", "2026-12-01T12:00:00Z"),
      ],
    });
    expect((await syncAndWait(org, id, "events")).status).toBe("success");
    await expireTokens(calendarId);
    await seed(calendarId, { cancel: ["gone0001"] });
    const job = await syncAndWait(org, id, "events");
    expect(job.status, job.error_message).toBe("success");
    expect(job.mode).toBe("full");
    const lists = (await state(calendarId)).requests.filter((r: { path: string }) =>
      r.path.endsWith("/events"),
    );
    expect(lists.at(-2).query.syncToken).toBeTruthy();
    expect(lists.at(-1).query.syncToken).toBeUndefined();
    const records = await allRecords(org, id, "events", "&include_deleted=true");
    expect(records.find((r) => r.external_id === "gone0001")?.deleted_at).toBeTruthy();
    expect(records.find((r) => r.external_id === "keep0001")?.deleted_at).toBeNull();
    // The full run left a new token: the next run is incremental again.
    expect((await syncAndWait(org, id, "events")).mode).toBe("incremental");
  });
});

describe("google_calendar bookings", () => {
  const booking: EventData = {
    summary: "Consultation",
    description: "First visit",
    location: "Room 2",
    start: { date_time: "2026-12-10T10:00:00+00:00", time_zone: "Europe/London" },
    end: { date_time: "2026-12-10T11:00:00+00:00", time_zone: "Europe/London" },
    all_day: false,
    attendees: [{ email: "client@example.com", display_name: "Client" }],
  };

  it("creates, updates and cancels an event once per push, with sendUpdates", async () => {
    const { id, calendarId } = await newCalendar();
    const path = `/api/integrations/${id}/records/events`;
    const key = `book-${crypto.randomUUID()}`;
    const body = { data: booking, options: { send_updates: "all" } };
    const first = await call("POST", path, { key: org.adminKey, body, headers: { "idempotency-key": key } });
    expect(first.status, first.text).toBe(202);
    const again = await call("POST", path, { key: org.adminKey, body, headers: { "idempotency-key": key } });
    expect(again.status).toBe(200);
    expect(again.json.push.id).toBe(first.json.push.id);
    const push = await waitForPush(org, id, first.json.push.id);
    expect(push.status, push.error).toBe("succeeded");
    let sim = await state(calendarId);
    expect(sim.events).toHaveLength(1);
    expect(sim.events[0]).toMatchObject({
      id: push.external_id,
      summary: "Consultation",
      send_updates: "all",
    });
    expect(push.external_id).toMatch(/^[0-9a-v]{5,1024}$/);
    const inserts = sim.requests.filter((r: { method: string }) => r.method === "POST");
    expect(inserts[0].query).toEqual({ sendUpdates: "all" });

    const update = await call("POST", path, {
      key: org.adminKey,
      body: {
        external_id: push.external_id,
        data: { ...booking, summary: "Consultation (moved)" },
        options: { send_updates: "none" },
      },
      headers: { "idempotency-key": `${key}-u` },
    });
    expect(update.status, update.text).toBe(202);
    expect((await waitForPush(org, id, update.json.push.id)).status).toBe("succeeded");
    sim = await state(calendarId);
    expect(sim.events[0]).toMatchObject({ summary: "Consultation (moved)", send_updates: "none" });

    const cancel = await call("POST", path, {
      key: org.adminKey,
      body: { external_id: push.external_id, operation: "delete", options: { send_updates: "externalOnly" } },
      headers: { "idempotency-key": `${key}-d` },
    });
    expect(cancel.status, cancel.text).toBe(202);
    expect((await waitForPush(org, id, cancel.json.push.id)).status).toBe("succeeded");
    sim = await state(calendarId);
    expect(sim.events[0]).toMatchObject({ status: "cancelled", send_updates: "externalOnly" });
    const record = await call("GET", `${path}/${push.external_id}`, { key: org.adminKey });
    expect(record.json.record.deleted_at).toBeTruthy();
    // A second cancel (Google answers 410 deleted) still succeeds.
    const twice = await call("POST", path, {
      key: org.adminKey,
      body: { external_id: push.external_id, operation: "delete" },
      headers: { "idempotency-key": `${key}-d2` },
    });
    expect((await waitForPush(org, id, twice.json.push.id)).status).toBe("succeeded");

    const badOption = await call("POST", path, {
      key: org.adminKey,
      body: { data: booking, options: { send_updates: "everyone" } },
    });
    expect(badOption.status).toBe(400);
    expect(badOption.json.issues[0].path).toBe("options.send_updates");
    const badId = await call("POST", path, {
      key: org.adminKey,
      body: { operation: "create", external_id: "NOT_BASE32HEX!", data: booking },
    });
    expect(badId.status).toBe(400);
  });

  it("a retried create never books twice: the push's event id meets 409 duplicate and updates", async () => {
    const { calendarId } = await newCalendar();
    const ctx: ProviderContext = {
      baseUrl: "https://hub.test/sandbox/google_calendar",
      config: { calendar_id: calendarId },
      secrets: { access_token: "ya29.sandbox" },
      http: (req) => exports.default.fetch(req),
      timeoutMs: 5000,
    };
    const push = provider.sync.push as NonNullable<typeof provider.sync.push>;
    const input = { key: "push_retry_1", data: booking, options: { send_updates: "none" } };
    const a = await push(ctx, "events", input);
    const b = await push(ctx, "events", { ...input, data: { ...booking, summary: "Retried" } });
    expect(b.externalId).toBe(a.externalId);
    const sim = await state(calendarId);
    expect(sim.events).toHaveLength(1);
    expect(sim.events[0].summary).toBe("Retried");
    const posts = sim.requests.filter((r: { method: string; path: string }) => r.path.endsWith("/events"));
    expect(posts.map((r: { method: string }) => r.method)).toEqual(["POST", "POST"]);
    expect(sim.requests.at(-1).method).toBe("PATCH");
    // A client-chosen id works the same way.
    const mine = await push(ctx, "events", { operation: "create", externalId: "booking1042", data: booking });
    const mineAgain = await push(ctx, "events", {
      operation: "create",
      externalId: "booking1042",
      data: booking,
    });
    expect(mine.externalId).toBe("booking1042");
    expect(mineAgain.externalId).toBe("booking1042");
    expect((await state(calendarId)).events).toHaveLength(2);
  });

  it("with check_availability a busy slot is refused with 409 and nothing is queued", async () => {
    const { id, calendarId } = await newCalendar();
    await seed(calendarId, { events: [timed("busy0001", "2026-12-10T10:30:00Z", "2026-12-10T11:30:00Z")] });
    const path = `/api/integrations/${id}/records/events`;
    const refused = await call("POST", path, {
      key: org.adminKey,
      body: { data: booking, options: { check_availability: true } },
      headers: { "idempotency-key": `c-${crypto.randomUUID()}` },
    });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.json.code).toBe("CONFLICT");
    expect(refused.json.error).toContain("busy 2026-12-10T10:30:00Z");
    expect(refused.json.issues[0].path).toBe("data.start");
    const pushes = await env.DB.prepare("SELECT count(*) AS n FROM record_pushes WHERE integration_id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(pushes?.n).toBe(0);
    const free = await call("POST", path, {
      key: org.adminKey,
      body: {
        data: {
          ...booking,
          start: { date_time: "2026-12-10T12:00:00Z" },
          end: { date_time: "2026-12-10T13:00:00Z" },
        },
        options: { check_availability: true },
      },
    });
    expect(free.status, free.text).toBe(202);
    expect((await waitForPush(org, id, free.json.push.id)).status).toBe("succeeded");
    expect((await state(calendarId)).events).toHaveLength(2);
  });
});

describe("google_calendar availability", () => {
  it("answers busy intervals per calendar and free slots from freeBusy", async () => {
    const { id, calendarId } = await newCalendar();
    await seed(calendarId, {
      events: [
        timed("am000001", "2026-12-07T09:00:00Z", "2026-12-07T10:00:00Z"),
        timed("am000002", "2026-12-07T09:30:00Z", "2026-12-07T10:30:00Z"),
        timed("free0001", "2026-12-07T13:00:00Z", "2026-12-07T14:00:00Z", { transparency: "transparent" }),
      ],
    });
    const path = `/api/integrations/${id}/calendar/availability`;
    const r = await call("POST", path, {
      key: org.adminKey,
      body: {
        time_min: "2026-12-07T09:00:00Z",
        time_max: "2026-12-07T12:00:00Z",
        calendars: [calendarId, "nobody"],
        slot_minutes: 30,
      },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json.calendars[calendarId].busy).toEqual([
      { start: "2026-12-07T09:00:00Z", end: "2026-12-07T10:30:00Z" },
    ]);
    expect(r.json.calendars.nobody.errors).toEqual([{ domain: "global", reason: "notFound" }]);
    expect(r.json.free_slots.map((s: { start: string }) => s.start)).toEqual([
      "2026-12-07T10:30:00.000Z",
      "2026-12-07T11:00:00.000Z",
      "2026-12-07T11:30:00.000Z",
    ]);
    const own = await call("POST", path, {
      key: org.adminKey,
      body: { time_min: "2026-12-07T09:00:00Z", time_max: "2026-12-07T10:00:00Z" },
    });
    expect(Object.keys(own.json.calendars)).toEqual([calendarId]);
    expect(own.json.free_slots).toBeUndefined();
    const backwards = await call("POST", path, {
      key: org.adminKey,
      body: { time_min: "2026-12-07T10:00:00Z", time_max: "2026-12-07T09:00:00Z" },
    });
    expect(backwards.status).toBe(400);
    expect(backwards.json.issues[0].path).toBe("time_max");
    const other = await newIntegration(org, {
      provider: "sendgrid",
      name: `sg ${crypto.randomUUID()}`,
      api_key: "SG.x",
      from_email: "a@example.com",
    });
    const notCalendar = await call("POST", `/api/integrations/${other.id}/calendar/availability`, {
      key: org.adminKey,
      body: { time_min: "2026-12-07T09:00:00Z", time_max: "2026-12-07T10:00:00Z" },
    });
    expect(notCalendar.status).toBe(400);
    const stranger = await newOrg("Calendar Stranger");
    const cross = await call("POST", path, {
      key: stranger.adminKey,
      body: { time_min: "2026-12-07T09:00:00Z", time_max: "2026-12-07T10:00:00Z" },
    });
    expect(cross.status).toBe(404);
  });
});
