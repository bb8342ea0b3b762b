/**
 * The delivery receipts the simulator owes after a send with a per-message callback, checked
 * with the providers' own libraries: the simulated Twilio, Plivo and Vonage take a send that names
 * a callback URL, `POST /_callbacks` posts the receipts (here to a capturing hub), and each is
 * verified as the provider's library verifies it: twilio `validateRequest` over the callback URL
 * and the form, plivo `validateV3Signature`, @vonage/sms `verifySignature` with the sandbox
 * account's signature secret and method.
 */
import { AlgorithmTypes, Auth } from "@vonage/auth";
import { SMS } from "@vonage/sms";
import plivoLib from "plivo";
import twilioLib from "twilio";
import { describe, expect, it } from "vitest";
import { createSandboxApp } from "../../src/sandbox/index.ts";
import { SANDBOX_VONAGE_SIGNATURE } from "../../src/sandbox/providers/vonage.ts";

const HUB = "https://hub.example";
const env = { PUBLIC_URL: HUB } as unknown as Env;
/** What workerd hands a fetch handler; the receipts are posted while the request runs. */
const execution = {
  waitUntil: () => {},
  passThroughOnException: () => {},
  props: {},
} as unknown as ExecutionContext;
const hook = (provider: string) => `${HUB}/webhooks/${provider}/3f1c2a9e-5b7d-4e21-9c0a-1d2e3f4a5b6c`;
const basic = (user: string, password: string) => `Basic ${btoa(`${user}:${password}`)}`;

/** The sandbox with a hub that records what it is sent. */
function sandbox() {
  const received: Request[] = [];
  const app = createSandboxApp(async (req) => {
    received.push(req);
    return new Response(null, { status: 204 });
  });
  const call = (path: string, init?: RequestInit) =>
    app.fetch(new Request(`${HUB}${path}`, init), env, execution);
  return { received, call };
}

/** Sends through the simulated API, then has it post what it owes to `url`. */
async function sendAndDeliver(path: string, init: RequestInit, url: string) {
  const s = sandbox();
  const sent = await s.call(path, init);
  expect(sent.status, await sent.clone().text()).toBeLessThan(300);
  const paid = await s.call(`/_callbacks?url=${encodeURIComponent(url)}`, { method: "POST" });
  expect(paid.status).toBe(200);
  expect(s.received.length).toBeGreaterThan(0);
  return s.received;
}

describe("the simulator's delivery receipts, verified by the providers' libraries", () => {
  it("twilio: StatusCallback posts signed over the callback URL and the sorted form", async () => {
    const sid = `AC${"0123456789abcdef".repeat(2)}`;
    const token = "twilio-auth-token-0123456789abcd";
    const url = hook("twilio");
    const received = await sendAndDeliver(
      `/twilio/2010-04-01/Accounts/${sid}/Messages.json`,
      {
        method: "POST",
        headers: { authorization: basic(sid, token), "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          To: "+15551234567",
          From: "+15005550006",
          Body: "Hi",
          StatusCallback: url,
        }),
      },
      url,
    );
    const statuses = [];
    for (const req of received) {
      const params = Object.fromEntries(new URLSearchParams(await req.text()));
      const signature = req.headers.get("x-twilio-signature") ?? "";
      expect(req.url).toBe(url);
      expect(twilioLib.validateRequest(token, signature, url, params)).toBe(true);
      expect(twilioLib.validateRequest(`${token}x`, signature, url, params)).toBe(false);
      statuses.push(params.MessageStatus);
    }
    expect(statuses).toEqual(["sent", "delivered"]);
  });

  it("plivo: the message's url gets a V3-signed form POST", async () => {
    const authId = "MAXXXXXXXXXXXXXXXXXX";
    const token = "plivo-auth-token-0123456789";
    const url = hook("plivo");
    const received = await sendAndDeliver(
      `/plivo/v1/Account/${authId}/Message/`,
      {
        method: "POST",
        headers: { authorization: basic(authId, token), "content-type": "application/json" },
        body: JSON.stringify({ src: "+14155550100", dst: "+14157654321", text: "Hi", url, method: "POST" }),
      },
      url,
    );
    const statuses = [];
    for (const req of received) {
      const fields = Object.fromEntries(new URLSearchParams(await req.text()));
      const nonce = req.headers.get("x-plivo-signature-v3-nonce") ?? "";
      const signature = req.headers.get("x-plivo-signature-v3") ?? "";
      expect(plivoLib.validateV3Signature("POST", url, nonce, token, signature, fields)).toBe(true);
      expect(plivoLib.validateV3Signature("POST", url, nonce, `${token}x`, signature, fields)).toBe(false);
      statuses.push(fields.Status);
    }
    expect(statuses).toEqual(["sent", "delivered"]);
  });

  it("vonage: the SMS API's callback gets the receipt with client-ref, signed with the account's method", async () => {
    const url = hook("vonage");
    const received = await sendAndDeliver(
      "/vonage/sms/json",
      {
        method: "POST",
        headers: {
          authorization: basic("a1b2c3d4", "vonage-api-secret"),
          "content-type": "application/json",
        },
        body: JSON.stringify({
          from: "447700900001",
          to: "447700900123",
          text: "Hi",
          "client-ref": "msg_1",
          callback: url,
        }),
      },
      url,
    );
    expect(received).toHaveLength(1);
    const params = JSON.parse(await (received[0] as Request).text()) as Record<string, string>;
    expect(params).toMatchObject({ status: "delivered", "client-ref": "msg_1", msisdn: "447700900123" });
    const sms = new SMS(new Auth({ apiKey: "a1b2c3d4", apiSecret: "vonage-api-secret" }));
    expect(SANDBOX_VONAGE_SIGNATURE.method).toBe("sha256");
    const sig = params.sig ?? "";
    expect(sms.verifySignature(sig, params, SANDBOX_VONAGE_SIGNATURE.secret, AlgorithmTypes.sha256hmac)).toBe(
      true,
    );
    expect(sms.verifySignature(sig, params, "another-secret", AlgorithmTypes.sha256hmac)).toBe(false);
  });
});
