/**
 * Simulated Vonage (Nexmo) on rest.nexmo.com: `GET /account/get-balance`, `POST /sms/json` and
 * `POST /account/settings` (the account's default inbound and delivery-receipt callback URLs,
 * `moCallBackUrl` and `drCallBackUrl`, remembered per API key; a call without them reads them).
 * Credentials come as HTTP Basic or, as legacy clients send them, `api_key`/`api_secret`
 * parameters. The SMS API answers HTTP 200 even when it refuses a message, with the verdict in
 * each part's `status` and `error-text`; the Account API answers 401 with
 * `{"error-code", "error-code-label"}` (UNCONFIRMED status, providers.md §3). A send with
 * `callback` is owed its delivery receipt (`delivered`, or `failed` with err-code 1), posted as
 * JSON to that URL with the send's `client-ref` and signed as a Vonage account with signed
 * webhooks does: the sandbox account's signature secret and method are SANDBOX_VONAGE_SIGNATURE.
 */
import type { Context } from "hono";
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
import { vonage as vonageSender } from "../webhooks/vonage.ts";

export const vonage = simulator();

/**
 * How the sandbox's Vonage account signs its webhooks (Dashboard → Settings: signature secret
 * and signature method): give an integration these to accept its delivery receipts.
 */
export const SANDBOX_VONAGE_SIGNATURE = { secret: "sandbox-vonage-signature-secret", method: "sha256" };

const NUMBER_RE = /^\+?[1-9]\d{6,14}$/;
const SENDER_RE = /^(\+?\d{3,15}|(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11})$/;

const str = (v: unknown): string | undefined => (typeof v === "string" && v ? v : undefined);

/** The API key and secret from Basic auth, else from the parameters or the query. */
function credentials(c: Context, params: Record<string, unknown>) {
  const basic = basicCredentials(c.req.header("authorization"));
  if (basic) return { key: basic.user, secret: basic.password };
  return {
    key: str(params.api_key) ?? c.req.query("api_key"),
    secret: str(params.api_secret) ?? c.req.query("api_secret"),
  };
}

const accountAuthFailed = () =>
  Response.json({ "error-code": "401", "error-code-label": "authentication failed" }, { status: 401 });

/** The SMS API's answer: always HTTP 200, one entry per message part. */
const smsAnswer = (parts: Record<string, unknown>[]) =>
  Response.json({ "message-count": String(parts.length), messages: parts });
const refused = (status: string, text: string) => smsAnswer([{ status, "error-text": text }]);

vonage.get("/account/get-balance", (c) => {
  const { key, secret } = credentials(c, {});
  if (!key || !secret || isInvalidCredential(key) || isInvalidCredential(secret)) return accountAuthFailed();
  return Response.json({ value: 10.28, autoReload: false });
});

/** Each account's callback settings, by API key. */
const settings = new Map<string, { mo: string; dr: string }>();

vonage.post("/account/settings", async (c) => {
  const body = await readBody(c.req.raw);
  const params = { ...c.req.query(), ...(body?.params ?? {}) };
  const { key, secret } = credentials(c, params);
  if (!key || !secret || isInvalidCredential(key) || isInvalidCredential(secret)) return accountAuthFailed();
  const current = settings.get(key) ?? { mo: "", dr: "" };
  // An empty string unsets a URL; a parameter left out keeps it.
  const mo = params.moCallBackUrl;
  const dr = params.drCallBackUrl;
  for (const url of [mo, dr])
    if (typeof url === "string" && url && !/^https?:\/\/[^\s]+$/.test(url))
      return Response.json(
        { "error-code": "420", "error-code-label": "Invalid callback URL" },
        { status: 400 },
      ); // UNCONFIRMED
  const next = {
    mo: typeof mo === "string" ? mo : current.mo,
    dr: typeof dr === "string" ? dr : current.dr,
  };
  settings.set(key, next);
  return Response.json({
    "mo-callback-url": next.mo,
    "dr-callback-url": next.dr,
    "max-outbound-request": 30,
    "max-inbound-request": 30,
    "max-calls-per-second": 30,
  });
});

/** The refusal for a send's credentials or parameters, if any (status codes of the SDK's SMSStatus). */
function invalidSms(key: string | undefined, secret: string | undefined, p: Record<string, unknown>) {
  if (!key) return refused("2", "Missing api_key");
  if (!secret) return refused("2", "Missing api_secret");
  if (isInvalidCredential(key) || isInvalidCredential(secret)) return refused("4", "Bad Credentials");
  for (const name of ["from", "to", "text"]) {
    if (!str(p[name])) return refused("2", `Missing ${name} param`);
  }
  if (!NUMBER_RE.test(String(p.to))) return refused("3", "Invalid to param");
  if (!SENDER_RE.test(String(p.from))) return refused("15", "Illegal Sender Address - rejected");
  return null;
}

/** Parts a text is split into: 160 GSM characters (70 unicode) in one, 153 (67) per part beyond. */
function partCount(text: string, unicode: boolean): number {
  const [single, multi] = unicode ? [70, 67] : [160, 153];
  const length = [...text].length;
  return length <= single ? 1 : Math.ceil(length / multi);
}

vonage.post("/sms/json", async (c) => {
  // JSON (the SDK) and form (legacy clients) both work; anything else leaves parameters missing.
  const params = (await readBody(c.req.raw))?.params ?? {};
  const { key, secret } = credentials(c, params);
  const invalid = invalidSms(key, secret, params);
  if (invalid) return invalid;
  const to = String(params.to).replace(/^\+/, "");
  const text = String(params.text);
  switch (scenario("vonage", to, text)) {
    case "429":
      return refused("1", "Throttled");
    case "503":
      return new Response("Service Unavailable", { status: 503, headers: { "content-type": "text/plain" } });
    case "500":
      return refused("5", "Internal Error");
    case "400":
      return refused("29", "Non White-listed Destination - rejected");
    case "timeout":
      await hang();
      break;
    default:
      break;
  }
  const { api_key: _key, api_secret: _secret, ...received } = params;
  const parts = Array.from({ length: partCount(text, params.type === "unicode") }, () => ({
    to,
    "message-id": crypto.randomUUID(),
    status: "0",
    "remaining-balance": "10.24000000",
    "message-price": "0.04000000",
    network: "310260",
    ...(str(params["client-ref"]) ? { "client-ref": params["client-ref"] } : {}),
  }));
  const messageId = String(parts[0]?.["message-id"]);
  deliver("vonage", "sms", to, received, messageId);
  const callback = str(params.callback);
  if (callback) {
    const ref = str(params["client-ref"]);
    oweCallback({
      provider: "vonage",
      url: callback,
      providerMessageId: messageId,
      statuses: [undelivered(text) ? "failed" : "delivered"],
      build: (status) =>
        vonageSender.build({
          url: callback,
          secrets: { signature_secret: SANDBOX_VONAGE_SIGNATURE.secret },
          config: {
            api_key: key,
            from_phone_number: String(params.from),
            signature_method: SANDBOX_VONAGE_SIGNATURE.method,
          },
          event: "status",
          data: { provider_message_id: messageId, status, to, ...(ref ? { message_id: ref } : {}) },
        }),
    });
  }
  return smsAnswer(parts);
});
