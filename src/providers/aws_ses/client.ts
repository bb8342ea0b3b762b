/**
 * Amazon SES API v2 calls (providers.md §7), signed with SigV4 for service `ses`:
 * GetAccount (`GET /v2/email/account`, test) and SendEmail (`POST /v2/email/outbound-emails`,
 * JSON with Simple content). Errors come as JSON `{"message"}` with the code in the
 * `x-amzn-ErrorType` header.
 */
import {
  field,
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  type SendResult,
  setting,
  type TestResult,
} from "../runtime.ts";
import { awsError, awsRegion, awsRequest } from "./sigv4.ts";

const NAME = "Amazon SES";

/** `x-amzn-ErrorType: UnrecognizedClientException:http://internal.amazon.com/...` → the code. */
export function errorCode(res: ProviderResponse): string | undefined {
  const header = res.headers.get("x-amzn-errortype");
  const type = header ?? String(field(res.data, "__type") ?? field(res.data, "code") ?? "");
  // `__type` may be namespaced: "com.amazonaws.sesv2#TooManyRequestsException".
  return type.split(":")[0]?.split("#").pop() || undefined;
}

export function failure(res: ProviderResponse): ProviderError {
  const message = field(res.data, "message") ?? field(res.data, "Message");
  return awsError(res, NAME, errorCode(res), typeof message === "string" ? message : undefined);
}

const num = (v: unknown) => (typeof v === "number" ? v : Number(v ?? 0));

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const res = await awsRequest(ctx, "ses", { path: "/v2/email/account" });
  if (res.status !== 200 || !res.data || typeof res.data !== "object") throw failure(res);
  const quota = field(res.data, "SendQuota");
  const production = field(res.data, "ProductionAccessEnabled") === true;
  const sending = field(res.data, "SendingEnabled") !== false;
  const max = num(field(quota, "Max24HourSend"));
  const sent = num(field(quota, "SentLast24Hours"));
  const rate = num(field(quota, "MaxSendRate"));
  const mode = production ? "production access" : "sandbox mode (verified recipients only)";
  return {
    message:
      `Connected to Amazon SES in ${awsRegion(ctx)}: ${mode}, sending ${sending ? "enabled" : "paused"}, ` +
      `${sent} of ${max} emails sent in the last 24 hours (max ${rate}/s)`,
    details: {
      production_access: production,
      sending_enabled: sending,
      max_24_hour_send: max,
      sent_last_24_hours: sent,
      max_send_rate: rate,
      enforcement_status: field(res.data, "EnforcementStatus"),
    },
  };
}

/** `"Name" <address>`, with a MIME encoded-word for a non-ASCII name, as SES expects. */
export function fromAddress(email: string, name?: unknown): string {
  if (typeof name !== "string" || !name.trim()) return email;
  const display = name.trim();
  if (/^[\x20-\x7e]*$/.test(display)) return `"${display.replace(/(["\\])/g, "\\$1")}" <${email}>`;
  const bytes = new TextEncoder().encode(display);
  return `=?UTF-8?B?${btoa(String.fromCharCode(...bytes))}?= <${email}>`;
}

const utf8 = (data: string) => ({ Data: data, Charset: "UTF-8" });

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  if (!msg.subject) throw new ProviderError("permanent", "an email needs a subject");
  if (!msg.text && !msg.html) throw new ProviderError("permanent", "an email needs a text or html body");
  const replyTo = ctx.config.reply_to;
  // Its event destination brings delivery, bounce and complaint events (setup.ts).
  const configurationSet = ctx.config.configuration_set;
  const res = await awsRequest(ctx, "ses", {
    method: "POST",
    path: "/v2/email/outbound-emails",
    json: {
      FromEmailAddress: fromAddress(setting(ctx, "from_email"), ctx.config.from_name),
      Destination: { ToAddresses: [msg.to] },
      ...(typeof replyTo === "string" && replyTo ? { ReplyToAddresses: [replyTo] } : {}),
      ...(typeof configurationSet === "string" && configurationSet
        ? { ConfigurationSetName: configurationSet }
        : {}),
      Content: {
        Simple: {
          Subject: utf8(msg.subject),
          Body: {
            ...(msg.text ? { Text: utf8(msg.text) } : {}),
            ...(msg.html ? { Html: utf8(msg.html) } : {}),
          },
        },
      },
    },
  });
  const messageId = field(res.data, "MessageId");
  if (res.status !== 200 || typeof messageId !== "string") throw failure(res);
  return { providerMessageId: messageId };
}
