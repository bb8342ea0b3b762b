/**
 * Twilio REST API (2010-04-01) calls shared by Twilio SMS and WhatsApp via Twilio: fetch the
 * Account (test connection) and create a Message (send). HTTP Basic with Account SID and Auth
 * Token; the Account SID is also in the path; sends are form-encoded.
 */
import {
  basicAuth,
  field,
  kindForStatus,
  type ProviderContext,
  ProviderError,
  type ProviderErrorKind,
  type ProviderResponse,
  request,
  retryAfterSeconds,
  type SendResult,
  secret,
  setting,
  type TestResult,
} from "../runtime.ts";

const ACCOUNT_SID_RE = /^AC[a-zA-Z0-9]{32}$/;

/**
 * Twilio error codes that say the credentials or the account are refused, whatever the status.
 * UNCONFIRMED (providers.md §2, secondary sources only): 20003 as the bad-credentials code.
 */
const AUTH_CODES = new Set([
  20003, // Authenticate: wrong Account SID or Auth Token (or a deleted API key)
  20005, // Account not active (suspended or closed)
]);
/** Twilio's "Too Many Requests" code; 429 responses carry it (UNCONFIRMED specifics, providers.md §2). */
const RATE_LIMIT_CODE = 20429;

/** The Account SID, checked against Twilio's format so it is safe in the path. */
export function accountSid(ctx: ProviderContext): string {
  const sid = setting(ctx, "account_sid");
  if (!ACCOUNT_SID_RE.test(sid)) {
    throw new ProviderError("auth", "Twilio: the Account SID must be AC followed by 32 letters or digits");
  }
  return sid;
}

function authorization(ctx: ProviderContext, sid: string): string {
  return basicAuth(sid, secret(ctx, "auth_token"));
}

/**
 * A ProviderError from Twilio's error body `{"code", "message", "more_info", "status"}`: the
 * code decides auth (20003) and rate limiting (20429); otherwise the HTTP status does.
 */
export function twilioError(res: ProviderResponse): ProviderError {
  const code = field(res.data, "code");
  const message = field(res.data, "message");
  const reason = typeof message === "string" && message ? message.replace(/\.$/, "") : "unexpected answer";
  let kind: ProviderErrorKind = kindForStatus(res.status);
  if (typeof code === "number" && AUTH_CODES.has(code)) kind = "auth";
  else if (code === RATE_LIMIT_CODE) kind = "rate_limited";
  const where = typeof code === "number" ? `error ${code}, HTTP ${res.status}` : `HTTP ${res.status}`;
  return new ProviderError(kind, `Twilio: ${reason} (${where})`, {
    status: res.status,
    code: typeof code === "number" ? code : undefined,
    retryAfterSeconds: retryAfterSeconds(res.headers.get("retry-after")),
  });
}

/** Test connection: `GET /2010-04-01/Accounts/{AccountSid}.json`. */
export async function fetchAccount(ctx: ProviderContext): Promise<TestResult> {
  const sid = accountSid(ctx);
  const res = await request(ctx, {
    path: `/2010-04-01/Accounts/${sid}.json`,
    headers: { authorization: authorization(ctx, sid) },
  });
  if (res.status !== 200) throw twilioError(res);
  const status = String(field(res.data, "status") ?? "unknown");
  if (status !== "active") throw new ProviderError("auth", `Twilio: the account is ${status}`);
  const name = String(field(res.data, "friendly_name") ?? sid);
  // The Account resource also carries the auth token: only these fields leave this function.
  return {
    message: `Connected to Twilio account "${name}" (${status})`,
    details: { account_sid: sid, friendly_name: name, status, type: field(res.data, "type") },
  };
}

/** The form fields of a Messages create (To, From, then Body or ContentSid + ContentVariables). */
export interface TwilioMessageParams {
  To: string;
  From: string;
  Body?: string;
  ContentSid?: string;
  ContentVariables?: string;
}

/**
 * Send: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded; 201 with the Message.
 * `StatusCallback` is the integration's webhook URL, so Twilio posts the message's status changes
 * (sent, delivered, undelivered, failed) there; without a public URL Twilio is asked for none.
 */
export async function createMessage(ctx: ProviderContext, params: TwilioMessageParams): Promise<SendResult> {
  const sid = accountSid(ctx);
  const res = await request(ctx, {
    method: "POST",
    path: `/2010-04-01/Accounts/${sid}/Messages.json`,
    headers: { authorization: authorization(ctx, sid) },
    form: { ...params, StatusCallback: ctx.webhookUrl },
  });
  if (res.status !== 201 && res.status !== 200) throw twilioError(res);
  const messageSid = field(res.data, "sid");
  if (typeof messageSid !== "string" || !messageSid) {
    // Not retried: Twilio took the request, and a retry could send the message twice.
    throw new ProviderError("permanent", "Twilio: the message was accepted but the answer has no sid");
  }
  return { providerMessageId: messageSid };
}
