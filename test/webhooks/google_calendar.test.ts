/**
 * Google Calendar push notifications: the watch channel opened to the integration's webhook
 * URL with a vault-kept token, renewed by cron before it ends, stopped on disconnect and
 * delete; notifications verified by channel id and token (constant time), the `sync` handshake
 * acknowledged and ignored, and a change answered at once and turned into an incremental sync.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Logger } from "../../src/lib/log.ts";
import { createServices } from "../../src/services/index.ts";
import { call, eventually, newOrg, type TestOrg } from "../harness.ts";
import { newCalendar, seed, state, timed } from "../sync/calendar-helpers.ts";
import { allRecords } from "../sync/helpers.ts";

vi.setConfig({ testTimeout: 120_000 });

let org: TestOrg;
beforeAll(async () => {
  org = await newOrg("Calendar Watch Org");
});

const services = () => createServices(env, `req_calendar_${crypto.randomUUID()}`);
const quiet = { info() {}, warn() {}, error() {}, debug() {} } as unknown as Logger;

async function channelSecrets(id: string) {
  const s = services();
  const row = await s.integrations.get(org.orgId, id);
  return { row, secrets: await s.integrations.secretsOf(row) };
}

describe("google_calendar watch channel", () => {
  it("opens a channel to the webhook URL, renews it by cron, and stops it on disconnect", async () => {
    const { id, calendarId } = await newCalendar(org);
    const opened = await call("POST", `/api/integrations/${id}/calendar/watch`, { key: org.adminKey });
    expect(opened.status, opened.text).toBe(200);
    const watch = opened.json.watch;
    expect(watch.address).toBe(`https://hub.test/webhooks/google_calendar/${id}`);
    let sim = await state(calendarId);
    expect(sim.channels).toHaveLength(1);
    const { secrets } = await channelSecrets(id);
    expect(secrets.channel_token?.length).toBeGreaterThanOrEqual(32);
    expect(sim.channels[0]).toMatchObject({
      id: watch.channel_id,
      address: watch.address,
      token: secrets.channel_token,
    });
    expect(Date.parse(watch.expires_at)).toBeGreaterThan(Date.now() + 6 * 86_400_000);
    const view = await call("GET", `/api/integrations/${id}`, { key: org.adminKey });
    expect(view.text).not.toContain(String(secrets.channel_token));
    const member = await call("POST", `/api/integrations/${id}/calendar/watch`, { key: org.memberKey });
    expect(member.status).toBe(403);

    // Not due yet: nothing is renewed.
    await services().calendar.renewDue(Date.now(), quiet);
    expect((await state(calendarId)).channels).toHaveLength(1);
    // A week later the channel ends within a day: a new one replaces it and the old one stops.
    expect(await services().calendar.renewDue(Date.now() + 7 * 86_400_000, quiet)).toBeGreaterThanOrEqual(1);
    sim = await state(calendarId);
    expect(sim.channels).toHaveLength(2);
    expect(sim.channels.find((c: { id: string }) => c.id === watch.channel_id).stopped).toBe(true);
    const current = (await call("GET", `/api/integrations/${id}/calendar/watch`, { key: org.adminKey })).json
      .watch;
    expect(current.channel_id).not.toBe(watch.channel_id);
    expect(sim.channels.find((c: { id: string }) => c.id === current.channel_id)).toMatchObject({
      stopped: false,
      token: secrets.channel_token,
    });

    const off = await call("POST", `/api/integrations/google_calendar/disconnect?integration_id=${id}`, {
      key: org.adminKey,
    });
    expect(off.status, off.text).toBe(200);
    sim = await state(calendarId);
    expect(sim.channels.every((c: { stopped: boolean }) => c.stopped)).toBe(true);
  });

  it("deleting the integration (REST or 001) stops its channel; DELETE …/calendar/watch stops it too", async () => {
    const a = await newCalendar(org);
    await call("POST", `/api/integrations/${a.id}/calendar/watch`, { key: org.adminKey });
    const stop = await call("DELETE", `/api/integrations/${a.id}/calendar/watch`, { key: org.adminKey });
    expect(stop.status, stop.text).toBe(200);
    expect(stop.json.watch.channel_id).toBeNull();
    expect((await state(a.calendarId)).channels[0].stopped).toBe(true);

    const b = await newCalendar(org);
    await call("POST", `/api/integrations/${b.id}/calendar/watch`, { key: org.adminKey });
    const del = await call("DELETE", `/api/integrations/${b.id}`, { key: org.adminKey });
    expect(del.status, del.text).toBe(200);
    expect((await state(b.calendarId)).channels[0].stopped).toBe(true);

    // The 001 dialect's delete too.
    const c = await newCalendar(org);
    await call("POST", `/api/integrations/${c.id}/calendar/watch`, { key: org.adminKey });
    const compat = await call("POST", "/delete-organization-integration", {
      key: org.adminKey,
      body: { id: c.id },
    });
    expect(compat.status, compat.text).toBe(200);
    expect((await state(c.calendarId)).channels[0].stopped).toBe(true);
  });

  it("verifies notifications by channel id and token; the sync handshake is ignored; a change starts a sync", async () => {
    const { id, calendarId } = await newCalendar(org);
    await seed(calendarId, { events: [timed("watch001", "2026-12-01T09:00:00Z", "2026-12-01T10:00:00Z")] });
    const opened = await call("POST", `/api/integrations/${id}/calendar/watch`, { key: org.adminKey });
    const url = opened.json.watch.address as string;
    const { row, secrets } = await channelSecrets(id);
    const fire = (event: string, extra: Record<string, unknown> = {}) =>
      call("POST", "/sandbox/_webhooks/google_calendar", {
        body: { url, secrets: { channel_token: secrets.channel_token }, config: row.config, event, ...extra },
      });

    const bad = await fire("exists", { fault: "bad_signature" });
    expect(bad.json.response.status).toBe(401);
    const missing = await fire("exists", { fault: "missing_signature" });
    expect(missing.json.response.status).toBe(401);
    const otherChannel = await call("POST", "/sandbox/_webhooks/google_calendar", {
      body: {
        url,
        secrets: { channel_token: secrets.channel_token },
        config: { watch_channel_id: "someone-else" },
      },
    });
    expect(otherChannel.json.response.status).toBe(401);

    const handshake = await fire("sync");
    expect(handshake.json.response.status).toBe(200);
    const stored = () =>
      env.DB.prepare("SELECT count(*) AS n FROM webhook_events WHERE integration_id = ?")
        .bind(id)
        .first<{ n: number }>();
    expect((await stored())?.n).toBe(0);
    const jobs = () =>
      env.DB.prepare("SELECT count(*) AS n FROM sync_jobs WHERE integration_id = ?")
        .bind(id)
        .first<{ n: number }>();
    expect((await jobs())?.n).toBe(0);

    const change = await fire("exists", { data: { event_id: "7" } });
    expect(change.json.response.status).toBe(200);
    expect(change.json.response.body).toEqual({ received: true });
    expect((await eventually(stored, (r) => r?.n === 1))?.n).toBe(1);
    const until = Date.now() + 30_000;
    let job: { trigger: string; status: string; mode: string } | undefined;
    while (Date.now() < until) {
      const logs = await call("GET", `/api/integrations/${id}/sync-logs?entity=events`, {
        key: org.adminKey,
      });
      job = logs.json.logs.find((l: { trigger: string }) => l.trigger === "webhook");
      if (job && ["success", "partial", "failed"].includes(job.status)) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    expect(job?.status).toBe("success");
    const records = await allRecords(org, id, "events");
    expect(records.map((r) => r.external_id)).toEqual(["watch001"]);
    // The same notification again is a duplicate: stored once.
    await fire("exists", { data: { event_id: "7" } });
    const repeats = () =>
      env.DB.prepare("SELECT sum(duplicates) AS n FROM webhook_events WHERE integration_id = ?")
        .bind(id)
        .first<{ n: number }>();
    expect((await eventually(repeats, (r) => r?.n === 1))?.n).toBe(1);
    expect((await stored())?.n).toBe(1);
  });
});
