/**
 * The hub's one Standard Webhooks module (src/crypto/standard-webhooks.ts), which signs the
 * events the hub delivers and verifies custom integrations' webhooks, against the official
 * `standardwebhooks` library: what the hub signs, the library verifies, and the two sign alike;
 * under another secret the library refuses it. (Verification itself uses workerd's
 * `timingSafeEqual`, so test/standard-webhooks.test.ts checks it inside workerd.)
 */
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import {
  generateStandardWebhookSecret,
  standardWebhookKey,
  standardWebhookKeys,
  standardWebhookSignature,
} from "../../src/crypto/standard-webhooks.ts";

const body = JSON.stringify({ type: "message.delivered", timestamp: "2026-01-01T00:00:00Z", data: { n: 1 } });

describe("src/crypto/standard-webhooks.ts agrees with the standardwebhooks library", () => {
  it("a hub signature verifies with the library, and both sign the same message alike", async () => {
    const secret = generateStandardWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const ts = Math.floor(Date.now() / 1000);
    const id = "evt_agree";
    const ours = await standardWebhookSignature(standardWebhookKey(secret), id, ts, body);
    const headers = { "webhook-id": id, "webhook-timestamp": String(ts), "webhook-signature": ours };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(secret).sign(id, new Date(ts * 1000), body)).toBe(ours);
    // The raw body as bytes signs the same as the string.
    const [key] = standardWebhookKeys(`  ${secret}  `);
    expect(key).toBeDefined();
    if (key) expect(await standardWebhookSignature(key, id, ts, new TextEncoder().encode(body))).toBe(ours);
  });

  it("a hub signature under another secret is refused by the library", async () => {
    const [secret, other] = [generateStandardWebhookSecret(), generateStandardWebhookSecret()];
    const ts = Math.floor(Date.now() / 1000);
    const ours = await standardWebhookSignature(standardWebhookKey(other), "m1", ts, body);
    const headers = { "webhook-id": "m1", "webhook-timestamp": String(ts), "webhook-signature": ours };
    expect(() => new Webhook(secret).verify(body, headers)).toThrow();
  });
});
