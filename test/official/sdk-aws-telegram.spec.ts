/**
 * The hub's Amazon SES, Amazon SNS and Telegram requests against the official or most used SDK's
 * for the same send and test connection (@aws-sdk/client-sesv2, @aws-sdk/client-sns, grammY):
 * method, path, query, auth scheme (for SigV4 the scheme and credential scope), content type and
 * body, the SDK's request intercepted on the provider's host. Where they differ on purpose, the
 * test says why.
 */
import { GetAccountCommand, SESv2Client, SendEmailCommand } from "@aws-sdk/client-sesv2";
import { ListTopicsCommand, PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { Bot } from "grammy";
import { describe, expect, it } from "vitest";
import { provider as ses } from "../../src/providers/aws_ses/index.ts";
import { provider as sns } from "../../src/providers/aws_sns/index.ts";
import { provider as telegram } from "../../src/providers/telegram/index.ts";
import { hubWire, message, sdkWire } from "./wire.ts";

const credentials = { accessKeyId: "AKIAOFFICIALEXAMPLE1", secretAccessKey: "official/secret/key/EXAMPLE" };
const awsSettings = { access_key_id: credentials.accessKeyId, region: "eu-west-1" };
const awsSecrets = { secret_access_key: credentials.secretAccessKey };

describe("amazon ses (@aws-sdk/client-sesv2)", () => {
  const client = new SESv2Client({ region: "eu-west-1", credentials });
  const ctx = {
    baseUrl: "https://email.eu-west-1.amazonaws.com",
    config: {
      ...awsSettings,
      from_email: "news@example.com",
      from_name: "Acme News",
      reply_to: "help@example.com",
    },
    secrets: awsSecrets,
  };

  it("send: SendEmail (POST /v2/email/outbound-emails) with a Simple message, JSON, SigV4 for ses", async () => {
    const SENT = { status: 200, body: { MessageId: "ses-1" } };
    const mail = message({
      channel: "email",
      to: "ada@example.org",
      subject: "Your order",
      text: "It shipped.",
      html: "<p>It shipped.</p>",
    });
    const hub = await hubWire((x) => ses.send(x, mail), ctx, SENT);
    const sdk = await sdkWire(
      "https://email.eu-west-1.amazonaws.com",
      () =>
        client.send(
          new SendEmailCommand({
            FromEmailAddress: '"Acme News" <news@example.com>',
            Destination: { ToAddresses: ["ada@example.org"] },
            ReplyToAddresses: ["help@example.com"],
            Content: {
              Simple: {
                Subject: { Data: "Your order", Charset: "UTF-8" },
                Body: {
                  Text: { Data: "It shipped.", Charset: "UTF-8" },
                  Html: { Data: "<p>It shipped.</p>", Charset: "UTF-8" },
                },
              },
            },
          }),
        ),
      SENT,
    );
    expect(hub).toEqual(sdk);
    expect(hub.authorization).toBe("AWS4-HMAC-SHA256 eu-west-1/ses/aws4_request");
  });

  it("test connection: GetAccount (GET /v2/email/account)", async () => {
    const ACCOUNT = {
      status: 200,
      body: { SendQuota: { Max24HourSend: 200, SentLast24Hours: 0, MaxSendRate: 1 }, SendingEnabled: true },
    };
    const hub = await hubWire((x) => ses.test(x), ctx, ACCOUNT);
    const sdk = await sdkWire(
      "https://email.eu-west-1.amazonaws.com",
      () => client.send(new GetAccountCommand({})),
      ACCOUNT,
    );
    expect(hub).toEqual(sdk);
  });
});

describe("amazon sns (@aws-sdk/client-sns)", () => {
  const client = new SNSClient({ region: "eu-west-1", credentials });
  const ctx = {
    baseUrl: "https://sns.eu-west-1.amazonaws.com",
    config: { ...awsSettings, from_phone_number: "+14155550100" },
    secrets: awsSecrets,
  };

  it("send: Publish with PhoneNumber and the origination number attribute, Query form, SigV4 for sns", async () => {
    const PUBLISHED = {
      status: 200,
      xml: '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>sns-1</MessageId></PublishResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></PublishResponse>',
    };
    const hub = await hubWire(
      (x) => sns.send(x, message({ channel: "sms", to: "+14157654321", text: "Hello" })),
      ctx,
      PUBLISHED,
    );
    const sdk = await sdkWire(
      "https://sns.eu-west-1.amazonaws.com",
      () =>
        client.send(
          new PublishCommand({
            PhoneNumber: "+14157654321",
            Message: "Hello",
            MessageAttributes: {
              "AWS.MM.SMS.OriginationNumber": { DataType: "String", StringValue: "+14155550100" },
            },
          }),
        ),
      PUBLISHED,
    );
    expect(hub).toEqual(sdk);
    expect(hub.authorization).toBe("AWS4-HMAC-SHA256 eu-west-1/sns/aws4_request");
  });

  it("test connection: ListTopics", async () => {
    const TOPICS = {
      status: 200,
      xml: '<ListTopicsResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><ListTopicsResult><Topics/></ListTopicsResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></ListTopicsResponse>',
    };
    const hub = await hubWire((x) => sns.test(x), ctx, TOPICS);
    const sdk = await sdkWire(
      "https://sns.eu-west-1.amazonaws.com",
      () => client.send(new ListTopicsCommand({})),
      TOPICS,
    );
    expect(hub).toEqual(sdk);
  });
});

describe("telegram (grammY)", () => {
  const TOKEN = "123456:ABCdef_official-token";
  const bot = new Bot(TOKEN, {
    botInfo: { id: 123456, is_bot: true, first_name: "Bot", username: "acme_bot" } as never,
  });
  const ctx = { baseUrl: "https://api.telegram.org", config: {}, secrets: { bot_token: TOKEN } };

  it("send: sendMessage with chat_id and text, JSON", async () => {
    const SENT = { status: 200, body: { ok: true, result: { message_id: 7, chat: { id: 42 } } } };
    const hub = await hubWire(
      (x) => telegram.send(x, message({ channel: "telegram", to: "42", text: "Hello" })),
      ctx,
      SENT,
    );
    const sdk = await sdkWire("https://api.telegram.org", () => bot.api.sendMessage(42, "Hello"), SENT);
    expect(hub).toEqual(sdk);
  });

  it("test connection: getMe", async () => {
    const ME = {
      status: 200,
      body: { ok: true, result: { id: 123456, is_bot: true, username: "acme_bot" } },
    };
    const hub = await hubWire((x) => telegram.test(x), ctx, ME);
    const sdk = await sdkWire("https://api.telegram.org", () => bot.api.getMe(), ME);
    // Deliberate: grammY posts every method, getMe with an empty body; the hub reads getMe with a
    // GET, which the Bot API takes for any method ("GET and POST are supported").
    expect(sdk.method).toBe("POST");
    expect(hub).toEqual({ ...sdk, method: "GET", contentType: undefined, body: undefined });
  });
});
