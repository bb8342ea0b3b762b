/**
 * Simulated Twilio REST API (2010-04-01), shared by Twilio SMS and WhatsApp via Twilio (the real
 * API is one host for both): `GET /Accounts/{sid}.json` and `POST /Accounts/{sid}/Messages.json`,
 * HTTP Basic with the Account SID, form-encoded parameters only (a JSON body leaves every
 * parameter missing, as at Twilio), and Twilio's error bodies `{code, message, more_info, status}`.
 * A send with `StatusCallback` is owed its status callbacks (`sent`, then `delivered`, or
 * `undelivered` with error 30003), posted to that URL signed with the account's Auth Token.
 *
 * Also exports the Basic-auth and body readers the Vonage and Plivo simulators use.
 */
import type { Context } from "hono";
import { randomBytes, toHex } from "../../crypto/encoding.ts";
import { oweCallback, undelivered } from "../callbacks.ts";
import {
  basicCredentials,
  deliver,
  hang,
  isInvalidCredential,
  readBody,
  scenario,
  simulator,
} from "../lib.ts";
import { twilioSender } from "../webhooks/twilio.ts";

const E164_RE = /^\+[1-9]\d{6,14}$/;
const ACCOUNT_SID_RE = /^AC[a-zA-Z0-9]{32}$/;
const API_KEY_SID_RE = /^SK[a-zA-Z0-9]{32}$/;
const SERVICE_SID_RE = /^MG[0-9a-fA-F]{32}$/;
const CONTENT_SID_RE = /^HX[0-9a-fA-F]{32}$/;

const rfc2822 = (d = new Date()) => d.toUTCString().replace("GMT", "+0000");

/** Twilio's error body; `more_info` links the code's documentation page. */
function fail(status: number, code: number, message: string, headers?: Record<string, string>) {
  return Response.json(
    { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
    { status, headers },
  );
}

/** 401 with error 20003 unless Basic auth names this account (or an API key) with a good token. */
function authenticate(c: Context, sid: string): { password: string } | Response {
  const creds = basicCredentials(c.req.header("authorization"));
  const userOk = creds && (creds.user === sid || API_KEY_SID_RE.test(creds.user));
  if (!creds || !userOk || !ACCOUNT_SID_RE.test(sid) || isInvalidCredential(creds.password)) {
    return fail(401, 20003, "Authenticate", { "www-authenticate": 'Basic realm="Twilio API"' });
  }
  return { password: creds.password };
}

/** Sender check: E.164 (optionally whatsapp:), a 5–6 digit short code, or an alphanumeric sender ID. */
function validFrom(from: string): boolean {
  if (from.startsWith("whatsapp:")) return E164_RE.test(from.slice(9));
  return E164_RE.test(from) || /^\d{5,6}$/.test(from) || /^(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}$/.test(from);
}

/** The Twilio validation error for a Messages create, if any (in the order Twilio checks). */
function invalidMessage(p: Record<string, string>): Response | null {
  const { To: to, From: from, Body: body, ContentSid: contentSid, ContentVariables: variables } = p;
  if (!to) return fail(400, 21604, "A 'To' phone number is required.");
  if (!from && !p.MessagingServiceSid) return fail(400, 21603, "A 'From' phone number is required.");
  if (!body && !p.MediaUrl && !contentSid) return fail(400, 21602, "Message body is required.");
  if (!E164_RE.test(to.replace(/^whatsapp:/, ""))) {
    return fail(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
  }
  if (from && !validFrom(from)) {
    return fail(
      400,
      21212,
      `The 'From' number ${from} is not a valid phone number, shortcode, or alphanumeric sender ID.`,
    );
  }
  if (!from && !SERVICE_SID_RE.test(p.MessagingServiceSid ?? "")) {
    return fail(400, 21701, "The Messaging Service Sid is invalid.");
  }
  if (from && from.startsWith("whatsapp:") !== to.startsWith("whatsapp:")) {
    return fail(400, 21910, "Invalid From and To pair. From and To should be of the same channel");
  }
  if (body && body.length > 1600) {
    return fail(400, 21617, "The concatenated message body exceeds the 1600 character limit.");
  }
  // UNCONFIRMED: the codes for a bad ContentSid (21655) and bad ContentVariables (21656).
  if (contentSid && !CONTENT_SID_RE.test(contentSid)) return fail(400, 21655, "The ContentSid is Invalid.");
  if (variables !== undefined && !isJsonObject(variables)) {
    return fail(400, 21656, "The ContentVariables Parameter is invalid.");
  }
  // UNCONFIRMED: the code for a StatusCallback that is not a URL (21609).
  if (p.StatusCallback !== undefined && !/^https?:\/\/[^/\s]+/i.test(p.StatusCallback)) {
    return fail(400, 21609, "The StatusCallback URL is not valid.");
  }
  return null;
}

function isJsonObject(text: string): boolean {
  try {
    const v: unknown = JSON.parse(text);
    return !!v && typeof v === "object" && !Array.isArray(v);
  } catch {
    return false;
  }
}

/**
 * A Twilio simulator whose accepted sends are recorded in the inbox under `inboxProvider`
 * (`twilio` or `twilio_whatsapp`, the id it is mounted at).
 */
export function twilioSimulator(inboxProvider: string) {
  const app = simulator();

  app.get("/2010-04-01/Accounts/:file", (c) => {
    const file = c.req.param("file");
    if (!file.endsWith(".json"))
      return fail(404, 20404, `The requested resource ${c.req.path} was not found`);
    const sid = file.slice(0, -".json".length);
    const auth = authenticate(c, sid);
    if (auth instanceof Response) return auth;
    const now = rfc2822();
    return Response.json({
      sid,
      owner_account_sid: sid,
      friendly_name: "Sandbox Account",
      status: "active",
      type: "Full",
      // The real Account resource includes the auth token; clients must not echo it.
      auth_token: auth.password,
      date_created: now,
      date_updated: now,
      uri: `/2010-04-01/Accounts/${sid}.json`,
      subresource_uris: { messages: `/2010-04-01/Accounts/${sid}/Messages.json` },
    });
  });

  app.post("/2010-04-01/Accounts/:sid/Messages.json", async (c) => {
    const sid = c.req.param("sid");
    const auth = authenticate(c, sid);
    if (auth instanceof Response) return auth;
    // Twilio reads form parameters only: any other body leaves them all missing.
    const body = await readBody(c.req.raw);
    const params: Record<string, string> =
      body?.encoding === "form" ? (body.params as Record<string, string>) : {};
    const invalid = invalidMessage(params);
    if (invalid) return invalid;
    const to = params.To as string;
    switch (scenario(inboxProvider, to, params.Body, params.ContentVariables)) {
      case "429":
        // UNCONFIRMED: whether Twilio's 429 carries Retry-After.
        return fail(429, 20429, "Too Many Requests", { "retry-after": "1" });
      case "503":
        return fail(503, 20503, "Service Unavailable");
      case "500":
        return fail(500, 20500, "An internal server error has occurred");
      case "400":
        return fail(400, 21610, "Attempt to send to unsubscribed recipient");
      case "timeout":
        await hang();
        break;
      default:
        break;
    }
    const messageSid = `SM${toHex(randomBytes(16))}`;
    deliver(inboxProvider, to.startsWith("whatsapp:") ? "whatsapp" : "sms", to, { ...params }, messageSid);
    const callback = params.StatusCallback;
    if (callback) {
      const sender = twilioSender(to.startsWith("whatsapp:"));
      const from = params.From ?? "";
      oweCallback({
        provider: inboxProvider,
        url: callback,
        providerMessageId: messageSid,
        statuses: ["sent", undelivered(params.Body, params.ContentVariables) ? "undelivered" : "delivered"],
        // Twilio signs with the account's Auth Token: the password of a request made with it.
        build: (status) =>
          sender.build({
            url: callback,
            secrets: { auth_token: auth.password },
            config: { account_sid: sid, from_phone_number: from, from_whatsapp: from },
            event: "status",
            data: { provider_message_id: messageSid, status, to },
          }),
      });
    }
    const now = rfc2822();
    return Response.json(
      {
        sid: messageSid,
        account_sid: sid,
        api_version: "2010-04-01",
        to,
        from: params.From ?? null,
        messaging_service_sid: params.MessagingServiceSid ?? null,
        body: params.Body ?? "",
        status: "queued",
        direction: "outbound-api",
        num_segments: String(Math.max(1, Math.ceil((params.Body ?? "").length / 153))),
        num_media: "0",
        price: null,
        price_unit: "USD",
        error_code: null,
        error_message: null,
        date_created: now,
        date_updated: now,
        date_sent: null,
        uri: `/2010-04-01/Accounts/${sid}/Messages/${messageSid}.json`,
        subresource_uris: { media: `/2010-04-01/Accounts/${sid}/Messages/${messageSid}/Media.json` },
      },
      { status: 201 },
    );
  });

  return app;
}

export const twilio = twilioSimulator("twilio");
