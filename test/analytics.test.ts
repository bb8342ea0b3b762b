/**
 * Delivery analytics end to end on the real queue: messages sent through the simulators, a
 * SendGrid delivery and open reported by signed webhooks, a permanent failure, then
 * GET /api/messages/analytics by day, integration and channel.
 */
import { describe, expect, it } from "vitest";
import { SANDBOX_SENDGRID_PUBLIC_KEY } from "../src/sandbox/webhooks/sendgrid.ts";
import { call, newIntegration, newOrg, type TestOrg, waitForMessage } from "./harness.ts";

const SG = {
  api_key: "SG.sandboxkey123.abcDEF_ghi-jkl",
  from_email: "noreply@example.com",
  webhook_public_key: SANDBOX_SENDGRID_PUBLIC_KEY,
};

async function send(org: TestOrg, body: Record<string, unknown>, until: string[]) {
  const r = await call("POST", "/api/messages", { key: org.adminKey, body });
  expect(r.status, r.text).toBe(202);
  return waitForMessage(org, r.json.message.id, until);
}

/** A SendGrid event about `m`, signed by the sandbox as SendGrid signs, processed by the hub. */
async function report(
  org: TestOrg,
  i: { id: string; webhook_url: string },
  event: string,
  m: { id: string; provider_message_id: string },
) {
  const r = await call("POST", "/sandbox/_webhooks/sendgrid", {
    body: {
      url: i.webhook_url,
      secrets: {},
      config: SG,
      event,
      data: { message_id: m.id, provider_message_id: m.provider_message_id, to: "ada@example.com" },
    },
  });
  expect(r.status, r.text).toBe(200);
  const until = Date.now() + 10_000;
  for (;;) {
    const e = await call("GET", `/api/integrations/${i.id}/webhook-events`, { key: org.adminKey });
    if (
      e.json.events.some(
        (x: { event_type: string; status: string }) => x.event_type === event && x.status === "processed",
      )
    )
      return;
    if (Date.now() > until) throw new Error(`${event} not processed: ${e.text}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

describe("GET /api/messages/analytics", () => {
  it("counts sent, delivered, failed, opened per group, with the delivery rate and median time", async () => {
    const org = await newOrg();
    const mail = await newIntegration(org, { provider: "sendgrid", name: "Mail", ...SG });
    const bot = await newIntegration(org, { provider: "telegram", name: "Bot", bot_token: "123456:ABCdef" });
    const email = await send(org, { channel: "email", to: "ada@example.com", subject: "Hi", text: "x" }, [
      "sent",
    ]);
    await send(org, { channel: "email", to: "grace@example.com", subject: "Hi", text: "y" }, ["sent"]);
    await send(org, { channel: "telegram", to: "1001", text: "ok" }, ["sent"]);
    await send(org, { channel: "telegram", to: "1002", text: "no [sandbox:400]" }, ["failed"]);
    await report(org, mail, "delivered", email);
    await report(org, mail, "open", email);

    const byChannel = await call("GET", "/api/messages/analytics?group_by=channel", { key: org.memberKey });
    expect(byChannel.status, byChannel.text).toBe(200);
    const [emailRow, telegramRow] = byChannel.json.groups;
    expect(emailRow).toMatchObject({
      key: "email",
      total: 2,
      sent: 2,
      delivered: 1,
      failed: 0,
      opened: 1,
      clicked: 0,
      delivery_rate: 0.5,
    });
    expect(emailRow.median_delivery_seconds).toBeGreaterThanOrEqual(0);
    expect(telegramRow).toMatchObject({
      key: "telegram",
      total: 2,
      sent: 1,
      delivered: 0,
      failed: 1,
      opened: 0,
      delivery_rate: null,
    });
    expect(telegramRow.median_delivery_seconds).toBeNull();
    expect(byChannel.json.totals).toMatchObject({
      total: 4,
      sent: 3,
      delivered: 1,
      failed: 1,
      opened: 1,
      delivery_rate: 0.5,
    });

    const byIntegration = await call("GET", "/api/messages/analytics?group_by=integration", {
      key: org.adminKey,
    });
    expect(byIntegration.json.groups.map((g: { key: string }) => g.key).sort()).toEqual(
      [mail.id, bot.id].sort(),
    );
    const byDay = await call("GET", "/api/messages/analytics", { key: org.adminKey });
    expect(byDay.json.group_by).toBe("day");
    expect(byDay.json.groups).toEqual([
      expect.objectContaining({ key: new Date().toISOString().slice(0, 10), total: 4 }),
    ]);

    // Another period, another organization: nothing.
    const old = await call("GET", "/api/messages/analytics?from=2026-01-01&to=2026-01-08", {
      key: org.adminKey,
    });
    expect(old.json.groups).toEqual([]);
    expect(old.json.totals).toMatchObject({ total: 0, delivery_rate: null, median_delivery_seconds: null });
    const other = await newOrg();
    expect((await call("GET", "/api/messages/analytics", { key: other.adminKey })).json.groups).toEqual([]);
  });

  it("refuses a backwards or too long period and an unknown grouping", async () => {
    const org = await newOrg();
    const q = (s: string) => call("GET", `/api/messages/analytics?${s}`, { key: org.adminKey });
    expect((await q("from=2026-02-01&to=2026-01-01")).json.error).toMatch(/^from: must be before to/);
    expect((await q("from=2026-01-01&to=2026-06-01")).json.error).toMatch(
      /^from: the period is at most 92 days/,
    );
    expect((await q("group_by=week")).status).toBe(400);
    expect((await q("from=yesterday")).status).toBe(400);
  });
});
