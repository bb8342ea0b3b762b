/**
 * An inactive integration does not process inbound webhooks: a verified delivery is answered
 * with what the provider expects for an accepted event (so it stops retrying) and recorded as
 * `ignored`; nothing else happens. An unverified one is still refused.
 */
import { describe, expect, it } from "vitest";
import { call, eventually, newIntegration, newOrg } from "../harness.ts";

const SECRET = "tg-inactive_0123456789";
const signed = { "x-telegram-bot-api-secret-token": SECRET };
const update = (id: number, text: string) =>
  JSON.stringify({
    update_id: id,
    message: { message_id: id, chat: { id: 4343, type: "private" }, date: 1_700_000_000, text },
  });

describe("webhooks to an inactive integration", () => {
  it("are answered 200, recorded as ignored, and never processed", async () => {
    const org = await newOrg();
    const bot = await newIntegration(org, {
      provider: "telegram",
      name: "Paused bot",
      bot_token: "123456:ABCdef_inactive",
      webhook_secret: SECRET,
    });
    const off = await call("PATCH", `/api/integrations/${bot.id}`, {
      key: org.adminKey,
      body: { is_active: false },
    });
    expect(off.status, off.text).toBe(200);
    expect(off.json.integration.is_active).toBe(false);

    const path = new URL(bot.webhook_url).pathname;
    const r = await call("POST", path, {
      raw: update(910_001, "while paused"),
      contentType: "application/json",
      headers: signed,
    });
    expect(r.status, r.text).toBe(200);
    expect(r.json).toEqual({ received: true });

    // A repeat is acknowledged the same way, and stored once.
    const again = await call("POST", path, {
      raw: update(910_001, "while paused"),
      contentType: "application/json",
      headers: signed,
    });
    expect(again.status).toBe(200);

    // Unverified deliveries are still refused, inactive or not.
    const forged = await call("POST", path, {
      raw: update(910_002, "forged"),
      contentType: "application/json",
      headers: { "x-telegram-bot-api-secret-token": "wrong" },
    });
    expect(forged.status).toBe(401);

    // Both copies are on the queue: wait until the consumer has seen the repeat too.
    const ev = await eventually(
      () => call("GET", `/api/integrations/${bot.id}/webhook-events`, { key: org.adminKey }),
      (r) => r.json.events?.[0]?.duplicates === 1,
    );
    expect(ev.status).toBe(200);
    expect(ev.json.events).toHaveLength(1);
    expect(ev.json.events[0]).toMatchObject({ status: "ignored", processed: false, event_type: "message" });

    const logs = await call("GET", `/api/integrations/telegram/webhook-logs?status=ignored`, {
      key: org.adminKey,
    });
    expect(logs.status, logs.text).toBe(200);
    expect(JSON.stringify(logs.json)).toContain(ev.json.events[0].id);

    const msgs = await call("GET", `/api/messages?direction=inbound&integration_id=${bot.id}`, {
      key: org.adminKey,
    });
    expect(msgs.status).toBe(200);
    expect(msgs.json.messages).toEqual([]);

    // Re-activated, the next delivery is processed as usual.
    const on = await call("PATCH", `/api/integrations/${bot.id}`, {
      key: org.adminKey,
      body: { is_active: true },
    });
    expect(on.status).toBe(200);
    const next = await call("POST", path, {
      raw: update(910_003, "back"),
      contentType: "application/json",
      headers: signed,
    });
    expect(next.status).toBe(200);
    const ev2 = await eventually(
      () => call("GET", `/api/integrations/${bot.id}/webhook-events`, { key: org.adminKey }),
      (r) => r.json.events?.length === 2,
    );
    expect(ev2.json.events.map((e: { status: string }) => e.status).sort()).toEqual(
      expect.arrayContaining(["ignored"]),
    );
    expect(ev2.json.events.find((e: { status: string }) => e.status !== "ignored")?.status).toMatch(
      /pending|processing|processed/,
    );
  });
});
