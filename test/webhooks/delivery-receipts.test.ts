/**
 * Delivery receipts from providers that take a per-message callback, end to end: the hub sends
 * through the simulator with the integration's webhook URL as the message's callback (Twilio
 * `StatusCallback`, Plivo `url` + `method`, Vonage `callback`), the simulator owes the receipts
 * and, when asked, posts them to that URL signed as the provider signs, and the hub verifies
 * them and moves the message from `sent` to `delivered` (or `failed` with the provider's reason).
 */
import { describe, expect, it } from "vitest";
import { SANDBOX_VONAGE_SIGNATURE } from "../../src/sandbox/providers/vonage.ts";
import { call, newIntegration, newOrg, type TestOrg, waitForMessage } from "../harness.ts";

const SID = `AC${"0123456789abcdef".repeat(2)}`;
const TOKEN = "f00dfacecafe0123456789abcdef0123";

interface Case {
  body: Record<string, unknown>;
  channel: string;
  to: string;
  /** What the message's callback parameter is called in the provider's request. */
  param: string;
  /** The statuses the provider reports for a delivered message. */
  statuses: string[];
  /** The reason a message the provider could not deliver fails with. */
  failure: string;
}

const CASES: Record<string, Case> = {
  twilio: {
    body: { account_sid: SID, auth_token: TOKEN, from_phone_number: "+15005550006" },
    channel: "sms",
    to: "+15551234567",
    param: "StatusCallback",
    statuses: ["sent", "delivered"],
    failure: "Twilio error 30003",
  },
  twilio_whatsapp: {
    body: { account_sid: SID, auth_token: TOKEN, from_whatsapp: "+15005550006" },
    channel: "whatsapp",
    to: "+15551234567",
    param: "StatusCallback",
    statuses: ["sent", "delivered"],
    failure: "Twilio error 30003",
  },
  plivo: {
    body: { auth_id: "MAXXXXXXXXXXXXXXXXXX", auth_token: TOKEN, from_phone_number: "+14155550100" },
    channel: "sms",
    to: "+14157654321",
    param: "url",
    statuses: ["sent", "delivered"],
    failure: "ErrorCode 200",
  },
  vonage: {
    body: {
      api_key: "a1b2c3d4",
      api_secret: "vonage-api-secret",
      from_phone_number: "+447700900001",
      signature_secret: SANDBOX_VONAGE_SIGNATURE.secret,
      signature_method: SANDBOX_VONAGE_SIGNATURE.method,
    },
    channel: "sms",
    to: "+447700900123",
    param: "callback",
    statuses: ["delivered"],
    failure: "err-code 1",
  },
};

async function send(org: TestOrg, c: Case, text: string) {
  const r = await call("POST", "/api/messages", {
    key: org.adminKey,
    body: { channel: c.channel, to: c.to, text },
  });
  expect(r.status).toBe(202);
  return waitForMessage(org, r.json.message.id, ["sent", "failed"]);
}

/** Asks the simulator to post what it owes to one integration's URL. */
async function deliverCallbacks(url: string) {
  const r = await call("POST", `/sandbox/_callbacks?url=${encodeURIComponent(url)}`);
  expect(r.status).toBe(200);
  return r.json.delivered as {
    provider_message_id: string;
    sent: { status: string; response: { status: number } }[];
  }[];
}

describe.each(Object.entries(CASES))("%s delivery receipts", (provider, c) => {
  async function setup(overrides: Record<string, unknown> = {}) {
    const org = await newOrg();
    const integration = await newIntegration(org, { provider, name: "Receipts", ...c.body, ...overrides });
    expect(integration.webhook_url).toBe(`https://hub.test/webhooks/${provider}/${integration.id}`);
    return { org, integration };
  }

  it("a sent message becomes delivered through the provider's signed callback", async () => {
    const { org, integration } = await setup();
    const sent = await send(org, c, "Receipt, please");
    expect(sent.status).toBe("sent");
    const inbox = await call("GET", `/sandbox/_inbox?provider=${provider}`);
    const got = inbox.json.messages.find((m: { id: string }) => m.id === sent.provider_message_id);
    expect(got.body[c.param]).toBe(integration.webhook_url);

    const owed = await call("GET", "/sandbox/_callbacks");
    expect(owed.json.callbacks).toContainEqual({
      provider,
      url: integration.webhook_url,
      provider_message_id: sent.provider_message_id,
      statuses: c.statuses,
    });
    const delivered = await deliverCallbacks(integration.webhook_url);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]?.provider_message_id).toBe(sent.provider_message_id);
    expect(delivered[0]?.sent.map((s) => s.status)).toEqual(c.statuses);
    for (const s of delivered[0]?.sent ?? []) expect(s.response.status).toBeLessThan(300);

    const done = await waitForMessage(org, sent.id, ["delivered", "failed"]);
    expect(done).toMatchObject({ status: "delivered", provider_message_id: sent.provider_message_id });
    expect(done.delivered_at).toBeTruthy();
    const events = await call("GET", `/api/integrations/${integration.id}/webhook-events`, {
      key: org.adminKey,
    });
    expect(events.json.events.map((e: { event_type: string }) => e.event_type).sort()).toEqual(
      [...c.statuses].sort(),
    );
    // What was owed has been paid: nothing more goes to this URL.
    expect(await deliverCallbacks(integration.webhook_url)).toEqual([]);

    // The timeline shows each step, every receipt included (also one that moved nothing).
    const timeline = async () =>
      (await call("GET", `/api/messages/${sent.id}`, { key: org.adminKey })).json.message.timeline as {
        step: string;
        status: string;
        detail: string | null;
      }[];
    const steps = await timeline();
    expect(steps.map((s) => [s.step, s.status])).toEqual([
      ["queued", "queued"],
      ["sent", "sent"],
      ...c.statuses.map((s) => ["receipt", s]),
    ]);
    expect(steps[1]?.detail).toBe(sent.provider_message_id);
    // Processing a receipt again adds nothing to it.
    const first = events.json.events[0] as { id: string };
    const replay = await call(
      "POST",
      `/api/integrations/${integration.id}/webhook-events/${first.id}/replay`,
      { key: org.adminKey },
    );
    expect(replay.status).toBeLessThan(300);
    expect(await timeline()).toEqual(steps);
  });

  it("a message the provider could not deliver fails with the receipt's reason", async () => {
    const { org, integration } = await setup();
    const sent = await send(org, c, "Nobody home [sandbox:undelivered]");
    expect(sent.status).toBe("sent");
    await deliverCallbacks(integration.webhook_url);
    const done = await waitForMessage(org, sent.id, ["delivered", "failed"]);
    expect(done.status).toBe("failed");
    expect(done.last_error).toContain(c.failure);
    const r = await call("GET", `/api/messages/${sent.id}`, { key: org.adminKey });
    expect(r.json.message.timeline.at(-1)).toMatchObject({ step: "receipt", status: "failed" });
    expect(r.json.message.timeline.at(-1).error).toContain(c.failure);
  });
});

describe("receipts the integration cannot verify", () => {
  it("a Vonage receipt signed with another signature secret is refused and moves nothing", async () => {
    const org = await newOrg();
    const integration = await newIntegration(org, {
      provider: "vonage",
      name: "Wrong secret",
      ...CASES.vonage?.body,
      signature_secret: "not-the-sandbox-account-secret",
    });
    const sent = await send(org, CASES.vonage as Case, "Receipt, please");
    const delivered = await deliverCallbacks(integration.webhook_url);
    expect(delivered[0]?.sent).toEqual([{ status: "delivered", response: { status: 401 } }]);
    const events = await call("GET", `/api/integrations/${integration.id}/webhook-events`, {
      key: org.adminKey,
    });
    expect(events.json.events).toEqual([]);
    const r = await call("GET", `/api/messages/${sent.id}`, { key: org.adminKey });
    expect(r.json.message.status).toBe("sent");
  });
});
