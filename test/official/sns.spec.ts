/**
 * Amazon SNS message signatures, checked both ways against independent implementations:
 * - what the simulator sends (src/sandbox/webhooks/aws_sns.ts, aws_ses.ts) passes AWS's
 *   `sns-validator`, the standalone validator of inbound SNS HTTP messages, for SignatureVersion
 *   1 and 2 and both message types, and its `bad_signature` and `tampered` messages fail it;
 * - the hub's verifier (src/providers/aws_sns/signature.ts) accepts a message signed with Node's
 *   crypto over the string AWS documents, with a certificate made here with openssl, and
 *   refuses it changed, signed with another key, or with a certificate from another host.
 * The validator downloads the certificate with `https.get`, answered here with the PEM.
 */
import { execFileSync } from "node:child_process";
import { createSign, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import MessageValidator from "sns-validator";
import { afterEach, describe, expect, it, vi } from "vitest";
import { verifySnsSignature } from "../../src/providers/aws_sns/signature.ts";
import { SANDBOX_SNS_CERTIFICATE } from "../../src/sandbox/providers/sns-topics.ts";
import { aws_ses } from "../../src/sandbox/webhooks/aws_ses.ts";
import { aws_sns } from "../../src/sandbox/webhooks/aws_sns.ts";
import type { FireOptions, WebhookSender } from "../../src/sandbox/webhooks/sender.ts";

const URL = "https://hub.example/webhooks/aws_ses/3f1c2a9e-5b7d-4e21-9c0a-1d2e3f4a5b6c";

/** Serves `pem` to the validator's certificate download. */
function serveCertificate(pem: string) {
  return vi.spyOn(https, "get").mockImplementation(((_url: unknown, cb: (res: unknown) => void) => {
    const res = Object.assign(new PassThrough(), { statusCode: 200 });
    cb(res);
    res.end(pem);
    return { on: () => undefined };
  }) as unknown as typeof https.get);
}

function validate(message: Record<string, unknown>): Promise<boolean> {
  // The simulator's certificate is served under the hub's own /sandbox/aws_sns/.
  const validator = new MessageValidator(/^hub\.example$/);
  return new Promise((resolve) => validator.validate(message, (err) => resolve(err === null)));
}

async function built(sender: WebhookSender, o: Partial<Omit<FireOptions, "url">>) {
  const req = await sender.build({ url: URL, secrets: {}, config: {}, ...o });
  return JSON.parse(await req.text()) as Record<string, string>;
}

afterEach(() => vi.restoreAllMocks());

describe("the simulator's SNS messages pass sns-validator", () => {
  it.each([
    ["1", "delivery"],
    ["2", "bounce"],
    ["1", "subscription_confirmation"],
    ["2", "subscription_confirmation"],
  ])("SignatureVersion %s, %s", async (version, event) => {
    serveCertificate(SANDBOX_SNS_CERTIFICATE);
    const m = await built(aws_ses, { event, data: { signature_version: version } });
    expect(m.SignatureVersion).toBe(version);
    expect(await validate(m)).toBe(true);
  });

  it("a notification with a Subject (SNS topic) passes; bad_signature and tampered fail", async () => {
    serveCertificate(SANDBOX_SNS_CERTIFICATE);
    expect(await validate(await built(aws_sns, { event: "notification" }))).toBe(true);
    for (const fault of ["bad_signature", "tampered"] as const)
      expect(await validate(await built(aws_sns, { event: "notification", fault }))).toBe(false);
  });
});

/** A key pair and a self-signed certificate made with openssl, as a stand-in for SNS's. */
function selfSigned() {
  const dir = mkdtempSync(join(tmpdir(), "sns-cert-"));
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=sns.us-east-1.amazonaws.com",
    ],
    { stdio: "ignore" },
  );
  return { key: readFileSync(key, "utf8"), cert: readFileSync(cert, "utf8") };
}

/** AWS's documented string to sign, built here independently of the hub's. */
function signed(m: Record<string, string>, key: string, version: "1" | "2") {
  const order =
    m.Type === "Notification"
      ? ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
      : ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"];
  const signer = createSign(version === "1" ? "RSA-SHA1" : "RSA-SHA256");
  for (const k of order) if (m[k] !== undefined) signer.update(`${k}\n${m[k]}\n`);
  return { ...m, SignatureVersion: version, Signature: signer.sign(key, "base64") };
}

describe("the hub's verifier and Node's crypto agree", () => {
  const one = selfSigned();
  const other = selfSigned();
  const now = Date.parse("2026-06-01T12:00:00.000Z");
  const certUrl = `https://sns.us-east-1.amazonaws.com/SimpleNotificationService-${randomUUID()}.pem`;
  const fetch = vi.fn(async () => new Response(one.cert));
  const verify = (m: Record<string, unknown>) => verifySnsSignature(m, { fetch, now });
  const notification = {
    Type: "Notification",
    MessageId: "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
    TopicArn: "arn:aws:sns:us-west-2:123456789012:MyTopic",
    Subject: "My First Message",
    Message: "Hello world!",
    Timestamp: "2026-06-01T11:59:00.000Z",
    SigningCertURL: certUrl,
    UnsubscribeURL:
      "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=arn:aws:sns:us-west-2:123456789012:MyTopic:c9135db0",
  };
  const confirmation = {
    Type: "SubscriptionConfirmation",
    MessageId: "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
    Token: "2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a988666d92768dd60a7",
    TopicArn: "arn:aws:sns:us-west-2:123456789012:MyTopic",
    Message: "You have chosen to subscribe to the topic arn:aws:sns:us-west-2:123456789012:MyTopic.",
    SubscribeURL:
      "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37",
    Timestamp: "2026-06-01T11:58:00.000Z",
    SigningCertURL: certUrl,
  };

  it.each(["1", "2"] as const)(
    "accepts SignatureVersion %s, both message types; the certificate is fetched once",
    async (v) => {
      expect(await verify(signed(notification, one.key, v))).toEqual({ ok: true });
      expect(await verify(signed(confirmation, one.key, v))).toEqual({ ok: true });
      expect(fetch.mock.calls.length).toBeLessThanOrEqual(1);
    },
  );

  it("refuses a changed message, another key's signature, another version, another host", async () => {
    const good = signed(notification, one.key, "2");
    expect((await verify({ ...good, Message: "Hello world?" })).ok).toBe(false);
    expect((await verify({ ...good, Subject: undefined })).ok).toBe(false);
    expect((await verify(signed(notification, other.key, "2"))).ok).toBe(false);
    expect((await verify({ ...good, SignatureVersion: "1" })).ok).toBe(false);
    expect(
      (
        await verify({
          ...good,
          SigningCertURL: certUrl.replace(
            "sns.us-east-1.amazonaws.com",
            "sns.us-east-1.amazonaws.com.example.org",
          ),
        })
      ).ok,
    ).toBe(false);
    expect((await verify({ ...good, Timestamp: "2026-06-01T10:00:00.000Z" })).ok).toBe(false);
  });
});
