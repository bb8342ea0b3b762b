/**
 * Verification in the one Standard Webhooks module (src/crypto/standard-webhooks.ts), inside
 * workerd, checked against the example published with the Standard Webhooks specification
 * (github.com/standard-webhooks/standard-webhooks, spec/standard-webhooks.md), so a mistake in
 * the module cannot pass by agreeing with itself.
 */
import { describe, expect, it } from "vitest";
import {
  standardWebhookKey,
  standardWebhookKeys,
  standardWebhookSignature,
  verifyStandardWebhook,
} from "../src/crypto/standard-webhooks.ts";

// The specification's example.
const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const TS = "1614265330";
const BODY = '{"test": 2432232314}';
const SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const OTHER = "whsec_QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=";

const message = (header: string, body: string | Uint8Array = BODY) => ({
  id: ID,
  timestamp: TS,
  body,
  header,
});

describe("Standard Webhooks", () => {
  it("signs the specification's example as published", async () => {
    expect(await standardWebhookSignature(standardWebhookKey(SECRET), ID, TS, BODY)).toBe(SIGNATURE);
  });

  it("verifies the published signature, over the body as text or as bytes", async () => {
    const keys = standardWebhookKeys(SECRET);
    expect(await verifyStandardWebhook(keys, message(SIGNATURE))).toBe(true);
    expect(await verifyStandardWebhook(keys, message(SIGNATURE, new TextEncoder().encode(BODY)))).toBe(true);
  });

  it("refuses another key, another body, another id and a v2 entry", async () => {
    expect(await verifyStandardWebhook(standardWebhookKeys(OTHER), message(SIGNATURE))).toBe(false);
    const keys = standardWebhookKeys(SECRET);
    expect(await verifyStandardWebhook(keys, message(SIGNATURE, '{"test": 2432232315}'))).toBe(false);
    expect(await verifyStandardWebhook(keys, { ...message(SIGNATURE), id: "msg_other" })).toBe(false);
    expect(await verifyStandardWebhook(keys, message(SIGNATURE.replace(/^v1,/, "v2,")))).toBe(false);
  });

  it("passes when any entry matches any key of a rotating setting", async () => {
    const keys = standardWebhookKeys(`${OTHER}, ${SECRET}`);
    expect(keys).toHaveLength(2);
    expect(await verifyStandardWebhook(keys, message(`v1,AAAA v2,zzz ${SIGNATURE}`))).toBe(true);
  });

  it("skips undecodable secrets in a setting", () => {
    expect(standardWebhookKeys("whsec_%%% whsec_")).toHaveLength(0);
    expect(standardWebhookKeys(`whsec_%%% ${SECRET}`)).toHaveLength(1);
  });
});
