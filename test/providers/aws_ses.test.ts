/**
 * Amazon SES through the sandbox: test connection (GetAccount), sending (SendEmail v2) and the
 * simulator's SigV4 checks. The documented test key pair lets the simulator verify signatures.
 */

import { exports } from "cloudflare:workers";
import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { send } from "../../src/providers/aws_ses/client.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import { SANDBOX_ACCESS_KEY_ID, SANDBOX_SECRET_ACCESS_KEY } from "../../src/sandbox/providers/aws_ses.ts";
import { BASE, call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const keys = { access_key_id: SANDBOX_ACCESS_KEY_ID, secret_access_key: SANDBOX_SECRET_ACCESS_KEY };
const sesIntegration = (extra: Record<string, unknown> = {}) => ({
  provider: "aws_ses",
  name: "SES",
  ...keys,
  region: "eu-west-1",
  from_email: "hello@example.com",
  from_name: "Switchboard",
  ...extra,
});

/** A request to the simulator signed like the client signs it (options override the defaults). */
async function signedCall(
  method: string,
  path: string,
  opts: { body?: string; contentType?: string; service?: string; datetime?: string } = {},
) {
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.contentType) headers["content-type"] = opts.contentType;
  const signer = new AwsV4Signer({
    method,
    url: `${BASE}/sandbox/aws_ses${path}`,
    headers,
    body: opts.body,
    accessKeyId: SANDBOX_ACCESS_KEY_ID,
    secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
    service: opts.service ?? "ses",
    region: "eu-west-1",
    datetime: opts.datetime,
  });
  const signed = await signer.sign();
  return call(method, `/sandbox/aws_ses${path}`, {
    raw: opts.body,
    headers: Object.fromEntries(signed.headers),
  });
}

describe("aws_ses", () => {
  it("test connection calls GetAccount with a SigV4 signature the sandbox verifies", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, sesIntegration());
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json.ok).toBe(true);
    expect(r.json.message).toMatch(
      /^Connected to Amazon SES in eu-west-1: production access, sending enabled, \d+ of 50000 emails sent in the last 24 hours \(max 14\/s\)$/,
    );
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(SANDBOX_SECRET_ACCESS_KEY);
  });

  it("an unknown access key fails the test with SES's reason, marks the integration, and recovers", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, sesIntegration({ access_key_id: "AKIAINVALIDEXAMPLE01" }));
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    const reason =
      "Amazon SES: The security token included in the request is invalid. (UnrecognizedClientException, HTTP 403)";
    expect(r.json).toMatchObject({ ok: false, message: reason });
    expect(r.json.integration).toMatchObject({ status: "error", last_error: reason, error_count: 1 });
    expect(r.text).not.toContain(SANDBOX_SECRET_ACCESS_KEY);
    await call("PATCH", `/api/integrations/${i.id}`, {
      key: org.adminKey,
      body: { access_key_id: SANDBOX_ACCESS_KEY_ID },
    });
    const ok = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(ok.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
  });

  it("a wrong secret for the test key fails with SignatureDoesNotMatch", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, sesIntegration({ secret_access_key: "not/the/right/secret" }));
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    const reason =
      "Amazon SES: The request signature we calculated does not match the signature you provided. " +
      "Check your AWS Secret Access Key and signing method. Consult the service documentation for details. " +
      "(SignatureDoesNotMatch, HTTP 403)";
    expect(r.json).toMatchObject({ ok: false, message: reason, details: { kind: "auth" } });
    expect(r.json.integration).toMatchObject({ status: "error", error_count: 1 });
    expect(r.text).not.toContain("not/the/right/secret");
  });

  it("sends an email: 202 queued, then sent with SES's MessageId; the sandbox got the exact SendEmail body", async () => {
    const org = await newOrg();
    await newIntegration(org, sesIntegration({ reply_to: "support@example.com" }));
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: {
        channel: "email",
        to: "jane@example.org",
        subject: "Welcome, Jane",
        text: "Hello from Switchboard",
        html: "<p>Hello from <b>Switchboard</b></p>",
      },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({ status: "queued", channel: "email", provider: "aws_ses" });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    expect(sent.provider_message_id).toMatch(/^0100[0-9a-f]{12}-[0-9a-f-]{36}-000000$/);
    const got = (await sandboxInbox("aws_ses")).find((m) => m.id === sent.provider_message_id);
    expect(got?.to).toBe("jane@example.org");
    expect(got?.body).toEqual({
      FromEmailAddress: '"Switchboard" <hello@example.com>',
      Destination: { ToAddresses: ["jane@example.org"] },
      ReplyToAddresses: ["support@example.com"],
      Content: {
        Simple: {
          Subject: { Data: "Welcome, Jane", Charset: "UTF-8" },
          Body: {
            Text: { Data: "Hello from Switchboard", Charset: "UTF-8" },
            Html: { Data: "<p>Hello from <b>Switchboard</b></p>", Charset: "UTF-8" },
          },
        },
      },
    });
  });

  it("a rejected email fails for good with SES's MessageRejected, naming the signed region", async () => {
    const org = await newOrg();
    await newIntegration(org, sesIntegration());
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "email", to: "jane@example.org", subject: "Hi [sandbox:400]", text: "Hello" },
    });
    const failed = await waitForMessage(org, r.json.message.id);
    expect(failed.status).toBe("failed");
    expect(failed.last_error).toBe(
      "Amazon SES: Email address is not verified. The following identities failed the check in region " +
        'EU-WEST-1: "Switchboard" <hello@example.com> (MessageRejected, HTTP 400)',
    );
  });

  it("classifies SES throttling (429 TooManyRequestsException) as rate limited", async () => {
    const ctx: ProviderContext = {
      baseUrl: `${BASE}/sandbox/aws_ses`,
      config: { access_key_id: SANDBOX_ACCESS_KEY_ID, region: "us-east-1", from_email: "a@example.com" },
      secrets: { secret_access_key: SANDBOX_SECRET_ACCESS_KEY },
      http: (req) => exports.default.fetch(req),
      timeoutMs: 5000,
    };
    const message = { id: "m1", channel: "email", to: "b@example.com", subject: "[sandbox:429]", text: "x" };
    await expect(send(ctx, message)).rejects.toMatchObject({
      kind: "rate_limited",
      message:
        "Amazon SES: Too many requests have been made to the operation. (TooManyRequestsException, HTTP 429)",
    });
  });

  describe("simulator strictness", () => {
    const path = "/v2/email/outbound-emails";
    const email = JSON.stringify({
      FromEmailAddress: "hello@example.com",
      Destination: { ToAddresses: ["jane@example.org"] },
      Content: { Simple: { Subject: { Data: "Hi" }, Body: { Text: { Data: "Hello" } } } },
    });

    it("refuses a request without Authorization", async () => {
      const r = await call("POST", `/sandbox/aws_ses${path}`, {
        raw: email,
        contentType: "application/json",
      });
      expect(r.status).toBe(403);
      expect(r.headers.get("x-amzn-errortype")).toMatch(/^MissingAuthenticationTokenException:/);
      expect(r.json).toEqual({ message: "Missing Authentication Token" });
    });

    it("refuses another auth scheme", async () => {
      const r = await call("POST", `/sandbox/aws_ses${path}`, {
        raw: email,
        contentType: "application/json",
        headers: { authorization: "Bearer abc123" },
      });
      expect(r.status).toBe(403);
      expect(r.headers.get("x-amzn-errortype")).toMatch(/^IncompleteSignatureException:/);
      expect(r.json.message).toBe(
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. " +
          "Authorization header requires 'SignedHeaders' parameter.",
      );
    });

    it("refuses a signature scoped to another service", async () => {
      const r = await signedCall("POST", path, {
        body: email,
        contentType: "application/json",
        service: "sns",
      });
      expect(r.status).toBe(403);
      expect(r.headers.get("x-amzn-errortype")).toBe("SignatureDoesNotMatch");
      expect(r.json).toEqual({ message: "Credential should be scoped to correct service: 'ses'." });
    });

    it("refuses a signature older than 15 minutes", async () => {
      const old = new Date(Date.now() - 20 * 60_000).toISOString().replace(/[:-]|\.\d{3}/g, "");
      const r = await signedCall("GET", "/v2/email/account", { datetime: old });
      expect(r.status).toBe(403);
      expect(r.headers.get("x-amzn-errortype")).toMatch(/^InvalidSignatureException:/);
      expect(r.json.message).toMatch(
        new RegExp(`^Signature expired: ${old} is now earlier than \\d{8}T\\d{6}Z`),
      );
    });

    it("refuses a body that was changed after signing", async () => {
      const signer = new AwsV4Signer({
        method: "POST",
        url: `${BASE}/sandbox/aws_ses${path}`,
        headers: { "content-type": "application/json" },
        body: email,
        accessKeyId: SANDBOX_ACCESS_KEY_ID,
        secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
        service: "ses",
        region: "eu-west-1",
      });
      const signed = await signer.sign();
      const r = await call("POST", `/sandbox/aws_ses${path}`, {
        raw: email.replace("jane@", "mallory@"),
        headers: Object.fromEntries(signed.headers),
      });
      expect(r.status).toBe(403);
      expect(r.headers.get("x-amzn-errortype")).toBe("SignatureDoesNotMatch");
      expect(r.json.message).toMatch(/^The request signature we calculated does not match/);
    });

    it("answers SES's validation errors for a form body or a missing field", async () => {
      const form = await signedCall("POST", path, {
        body: "FromEmailAddress=hello%40example.com",
        contentType: "application/x-www-form-urlencoded",
      });
      expect(form.status).toBe(400);
      expect(form.headers.get("x-amzn-errortype")).toBe("SerializationException");
      const noContent = await signedCall("POST", path, {
        body: JSON.stringify({ FromEmailAddress: "hello@example.com" }),
        contentType: "application/json",
      });
      expect(noContent.status).toBe(400);
      expect(noContent.headers.get("x-amzn-errortype")).toBe("BadRequestException");
      expect(noContent.json).toEqual({
        message:
          "1 validation error detected: Value null at 'content' failed to satisfy constraint: Member must not be null",
      });
    });
  });
});
