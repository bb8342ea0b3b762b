/**
 * The hub's email requests (SendGrid, Mailgun, Mailchimp Transactional) against what each
 * provider's official SDK sends for the same send and test connection: method, path, query,
 * auth scheme, content type and body, the SDK's request intercepted on the provider's host.
 * Where they differ on purpose, the test says why.
 */

// @ts-expect-error: the package ships no types (its calls are checked by what they send).
import mailchimpTransactional from "@mailchimp/mailchimp_transactional";
import sendgridClient from "@sendgrid/client";
import sendgridMail from "@sendgrid/mail";
import FormData from "form-data";
import Mailgun from "mailgun.js";
import { describe, expect, it } from "vitest";
import { provider as mailchimp } from "../../src/providers/mailchimp/index.ts";
import { provider as mailgun } from "../../src/providers/mailgun/index.ts";
import { provider as sendgrid } from "../../src/providers/sendgrid/index.ts";
import { hubWire, message, sdkWire } from "./wire.ts";

const SENDER = { from_email: "news@example.com", from_name: "Acme News", reply_to: "help@example.com" };
const MAIL = message({
  channel: "email",
  to: "ada@example.org",
  subject: "Your order",
  text: "It shipped.",
  html: "<p>It shipped.</p>",
});

describe("sendgrid (@sendgrid/mail, @sendgrid/client)", () => {
  const KEY = "SG.official-test-key";
  const ctx = { baseUrl: "https://api.sendgrid.com", config: SENDER, secrets: { api_key: KEY } };

  it("send: v3 mail/send JSON with one personalization, reply_to and custom_args, Bearer", async () => {
    const ACCEPTED = { status: 202, body: "", headers: { "x-message-id": "sg-1" } };
    const hub = await hubWire((x) => sendgrid.send(x, MAIL), ctx, ACCEPTED);
    sendgridMail.setApiKey(KEY);
    const sdk = await sdkWire(
      "https://api.sendgrid.com",
      () =>
        sendgridMail.send({
          to: MAIL.to,
          from: { email: SENDER.from_email, name: SENDER.from_name },
          replyTo: SENDER.reply_to,
          subject: "Your order",
          text: "It shipped.",
          html: "<p>It shipped.</p>",
          customArgs: { switchboard_message_id: MAIL.id },
        }),
      ACCEPTED,
    );
    expect(hub).toEqual(sdk);
  });

  it("test connection: GET /v3/scopes", async () => {
    const SCOPES = { status: 200, body: { scopes: ["mail.send"] } };
    const hub = await hubWire((x) => sendgrid.test(x), ctx, SCOPES);
    sendgridClient.setApiKey(KEY);
    const sdk = await sdkWire(
      "https://api.sendgrid.com",
      () => sendgridClient.request({ method: "GET", url: "/v3/scopes" }),
      SCOPES,
    );
    // Deliberate: @sendgrid/client labels every request JSON, a bodiless GET too; the hub sends
    // no content type without a body.
    expect(sdk.contentType).toBe("application/json");
    expect(hub).toEqual({ ...sdk, contentType: undefined });
  });
});

describe("mailgun (mailgun.js)", () => {
  const KEY = "key-official-test";
  const DOMAIN = "mg.example.com";
  const ctx = {
    baseUrl: "https://api.mailgun.net",
    config: { ...SENDER, domain: DOMAIN },
    secrets: { api_key: KEY },
  };
  const mg = new Mailgun(FormData).client({ username: "api", key: KEY });

  it("send: POST /v3/{domain}/messages with the same fields, Basic api:key", async () => {
    const QUEUED = { status: 200, body: { id: "<1@mg.example.com>", message: "Queued. Thank you." } };
    const hub = await hubWire((x) => mailgun.send(x, MAIL), ctx, QUEUED);
    const sdk = await sdkWire(
      "https://api.mailgun.net",
      () =>
        mg.messages.create(DOMAIN, {
          from: `${SENDER.from_name} <${SENDER.from_email}>`,
          to: MAIL.to,
          subject: "Your order",
          text: "It shipped.",
          html: "<p>It shipped.</p>",
          "h:Reply-To": SENDER.reply_to,
          "v:switchboard_message_id": MAIL.id,
        }),
      QUEUED,
    );
    // Deliberate: mailgun.js always builds multipart/form-data (it also uploads attachments);
    // the hub sends no files and uses application/x-www-form-urlencoded, which the messages
    // endpoint takes too. The fields are the same.
    expect(sdk.contentType).toBe("multipart/form-data");
    expect(hub.contentType).toBe("application/x-www-form-urlencoded");
    expect(hub).toEqual({ ...sdk, contentType: hub.contentType });
  });

  it("test connection: GET /v4/domains/{domain}", async () => {
    const DOMAIN_VIEW = {
      status: 200,
      body: { domain: { name: DOMAIN, state: "active" }, receiving_dns_records: [], sending_dns_records: [] },
    };
    const hub = await hubWire((x) => mailgun.test(x), ctx, DOMAIN_VIEW);
    const sdk = await sdkWire("https://api.mailgun.net", () => mg.domains.get(DOMAIN), DOMAIN_VIEW);
    // Deliberate: mailgun.js labels its GET form-urlencoded (with an empty body); the hub sends
    // a GET with neither.
    expect(sdk.contentType).toBe("application/x-www-form-urlencoded");
    expect(sdk.body).toEqual({});
    expect(hub).toEqual({ ...sdk, contentType: undefined, body: undefined });
    expect(hub.path).toBe(`/v4/domains/${DOMAIN}`);
  });
});

describe("mailchimp transactional (@mailchimp/mailchimp_transactional)", () => {
  const KEY = "md-official-test-key";
  const ctx = { baseUrl: "https://mandrillapp.com", config: SENDER, secrets: { api_key: KEY } };
  const client = mailchimpTransactional(KEY);

  it("send: messages/send JSON with the key in the body", async () => {
    const SENT = { status: 200, body: [{ email: MAIL.to, status: "sent", _id: "md-1" }] };
    const hub = await hubWire((x) => mailchimp.send(x, MAIL), ctx, SENT);
    const sdk = await sdkWire(
      "https://mandrillapp.com",
      () =>
        client.messages.send({
          message: {
            from_email: SENDER.from_email,
            from_name: SENDER.from_name,
            subject: "Your order",
            text: "It shipped.",
            html: "<p>It shipped.</p>",
            to: [{ email: MAIL.to, type: "to" }],
            headers: { "Reply-To": SENDER.reply_to },
            metadata: { switchboard_message_id: MAIL.id },
          },
        }),
      SENT,
    );
    expect(hub).toEqual(sdk);
  });

  it("test connection: users/ping", async () => {
    const PONG = { status: 200, body: "PONG!" };
    const hub = await hubWire((x) => mailchimp.test(x), ctx, PONG);
    const sdk = await sdkWire("https://mandrillapp.com", () => client.users.ping(), PONG);
    expect(hub).toEqual(sdk);
  });
});
