/**
 * Amazon SNS through the sandbox: test connection (ListTopics), SMS (Publish to a phone number)
 * and the simulator's Query-API strictness. SigV4 is checked with the sandbox's test key pair.
 */

import { exports } from "cloudflare:workers";
import { AwsV4Signer } from "aws4fetch";
import { describe, expect, it } from "vitest";
import { send } from "../../src/providers/aws_sns/client.ts";
import type { ProviderContext } from "../../src/providers/runtime.ts";
import { SANDBOX_ACCESS_KEY_ID, SANDBOX_SECRET_ACCESS_KEY } from "../../src/sandbox/providers/aws_ses.ts";
import { BASE, call, newIntegration, newOrg, sandboxInbox, waitForMessage } from "../harness.ts";

const snsIntegration = (extra: Record<string, unknown> = {}) => ({
  provider: "aws_sns",
  name: "SNS",
  access_key_id: SANDBOX_ACCESS_KEY_ID,
  secret_access_key: SANDBOX_SECRET_ACCESS_KEY,
  region: "eu-west-1",
  from_phone_number: "+15550001111",
  ...extra,
});

/** A Query API call to the simulator, signed for `sns` with the test key pair. */
async function signedQuery(body: string, contentType = "application/x-www-form-urlencoded") {
  const signer = new AwsV4Signer({
    method: "POST",
    url: `${BASE}/sandbox/aws_sns/`,
    headers: { "content-type": contentType, accept: "text/xml" },
    body,
    accessKeyId: SANDBOX_ACCESS_KEY_ID,
    secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
    service: "sns",
    region: "eu-west-1",
  });
  const signed = await signer.sign();
  return call("POST", "/sandbox/aws_sns/", { raw: body, headers: Object.fromEntries(signed.headers) });
}

const errorOf = (xml: string) => ({
  type: xml.match(/<Type>(.*?)<\/Type>/)?.[1],
  code: xml.match(/<Code>(.*?)<\/Code>/)?.[1],
  message: xml.match(/<Message>(.*?)<\/Message>/)?.[1],
});

describe("aws_sns", () => {
  it("test connection calls ListTopics with a SigV4 signature the sandbox verifies", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, snsIntegration());
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({
      ok: true,
      message: "Connected to Amazon SNS in eu-west-1 as account 123456789012 (1 topic)",
    });
    expect(r.json.integration).toMatchObject({ status: "active", last_error: null, error_count: 0 });
    expect(r.text).not.toContain(SANDBOX_SECRET_ACCESS_KEY);
  });

  it("an unknown access key fails the test with SNS's reason, marks the integration, and recovers", async () => {
    const org = await newOrg();
    const i = await newIntegration(org, snsIntegration({ access_key_id: "AKIAINVALIDEXAMPLE01" }));
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    const reason =
      "Amazon SNS: The security token included in the request is invalid. (InvalidClientTokenId, HTTP 403)";
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
    const i = await newIntegration(org, snsIntegration({ secret_access_key: "not/the/right/secret" }));
    const r = await call("POST", `/api/integrations/${i.id}/test`, { key: org.adminKey });
    expect(r.json).toMatchObject({
      ok: false,
      message:
        "Amazon SNS: The request signature we calculated does not match the signature you provided. " +
        "Check your AWS Secret Access Key and signing method. Consult the service documentation for details. " +
        "(SignatureDoesNotMatch, HTTP 403)",
      details: { kind: "auth" },
    });
    expect(r.json.integration).toMatchObject({ status: "error", error_count: 1 });
    expect(r.text).not.toContain("not/the/right/secret");
  });

  it("sends an SMS: 202 queued, then sent with SNS's MessageId; the sandbox got the exact Publish form", async () => {
    const org = await newOrg();
    await newIntegration(org, snsIntegration());
    const r = await call("POST", "/api/messages", {
      key: org.adminKey,
      body: { channel: "sms", to: "+14155550123", text: "Your code is 123456 & it expires soon" },
    });
    expect(r.status).toBe(202);
    expect(r.json.message).toMatchObject({ status: "queued", channel: "sms", provider: "aws_sns" });
    const sent = await waitForMessage(org, r.json.message.id);
    expect(sent.status).toBe("sent");
    expect(sent.provider_message_id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    const got = (await sandboxInbox("aws_sns")).find((m) => m.id === sent.provider_message_id);
    expect(got?.to).toBe("+14155550123");
    expect(got?.body).toEqual({
      Action: "Publish",
      PhoneNumber: "+14155550123",
      Message: "Your code is 123456 & it expires soon",
      "MessageAttributes.entry.1.Name": "AWS.MM.SMS.OriginationNumber",
      "MessageAttributes.entry.1.Value.DataType": "String",
      "MessageAttributes.entry.1.Value.StringValue": "+15550001111",
      Version: "2010-03-31",
    });
  });

  it("classifies SNS Throttling (a 400) as rate limited and a 5xx as transient", async () => {
    const ctx: ProviderContext = {
      baseUrl: `${BASE}/sandbox/aws_sns`,
      config: {
        access_key_id: SANDBOX_ACCESS_KEY_ID,
        region: "us-east-1",
        from_phone_number: "+15550001111",
      },
      secrets: { secret_access_key: SANDBOX_SECRET_ACCESS_KEY },
      http: (req) => exports.default.fetch(req),
      timeoutMs: 5000,
    };
    const sms = (text: string) => ({ id: "m1", channel: "sms", to: "+14155550123", text });
    await expect(send(ctx, sms("hi [sandbox:429]"))).rejects.toMatchObject({
      kind: "rate_limited",
      message: "Amazon SNS: Rate exceeded (Throttling, HTTP 400)",
    });
    await expect(send(ctx, sms("hi [sandbox:503]"))).rejects.toMatchObject({ kind: "transient" });
    await expect(send(ctx, sms("hi [sandbox:400]"))).rejects.toMatchObject({
      kind: "permanent",
      message:
        "Amazon SNS: Invalid parameter: PhoneNumber Reason: +14155550123 is not valid to publish to (InvalidParameter, HTTP 400)",
    });
  });

  describe("simulator strictness", () => {
    const publish = "Action=Publish&PhoneNumber=%2B14155550123&Message=Hi&Version=2010-03-31";

    it("refuses a request without Authorization", async () => {
      const r = await call("POST", "/sandbox/aws_sns/", {
        raw: publish,
        contentType: "application/x-www-form-urlencoded",
      });
      expect(r.status).toBe(403);
      expect(errorOf(r.text)).toEqual({
        type: "Sender",
        code: "MissingAuthenticationToken",
        message: "Request is missing Authentication Token",
      });
    });

    it("refuses another auth scheme", async () => {
      const basic = await call("POST", "/sandbox/aws_sns/", {
        raw: publish,
        contentType: "application/x-www-form-urlencoded",
        headers: { authorization: "Basic dXNlcjpwYXNz" },
      });
      expect(basic.status).toBe(403);
      expect(errorOf(basic.text).code).toBe("IncompleteSignature");
    });

    it("answers MissingAction for a JSON body", async () => {
      const r = await signedQuery(JSON.stringify({ Action: "Publish" }), "application/json");
      expect(r.status).toBe(400);
      expect(errorOf(r.text)).toEqual({ type: "Sender", code: "MissingAction", message: "Missing Action" });
    });

    it("answers SNS's validation errors for a missing Message, a bad number or a wrong Version", async () => {
      const noMessage = await signedQuery("Action=Publish&PhoneNumber=%2B14155550123&Version=2010-03-31");
      expect(noMessage.status).toBe(400);
      expect(errorOf(noMessage.text)).toEqual({
        type: "Sender",
        code: "ValidationError",
        message:
          "1 validation error detected: Value null at 'message' failed to satisfy constraint: Member must not be null",
      });
      const badNumber = await signedQuery(
        "Action=Publish&PhoneNumber=4155550123&Message=Hi&Version=2010-03-31",
      );
      expect(errorOf(badNumber.text)).toMatchObject({
        code: "InvalidParameter",
        message: "Invalid parameter: PhoneNumber Reason: 4155550123 is not valid to publish to",
      });
      const noVersion = await signedQuery("Action=Publish&PhoneNumber=%2B14155550123&Message=Hi");
      expect(errorOf(noVersion.text)).toMatchObject({
        code: "InvalidAction",
        message: "Could not find operation Publish for version NO_VERSION_SPECIFIED",
      });
    });

    it("refuses a form changed after signing", async () => {
      const signer = new AwsV4Signer({
        method: "POST",
        url: `${BASE}/sandbox/aws_sns/`,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: publish,
        accessKeyId: SANDBOX_ACCESS_KEY_ID,
        secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
        service: "sns",
        region: "eu-west-1",
      });
      const signed = await signer.sign();
      const r = await call("POST", "/sandbox/aws_sns/", {
        raw: publish.replace("Hi", "Pay+now"),
        headers: Object.fromEntries(signed.headers),
      });
      expect(r.status).toBe(403);
      expect(errorOf(r.text).code).toBe("SignatureDoesNotMatch");
    });
  });
});
