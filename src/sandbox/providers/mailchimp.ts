/**
 * Simulated Mailchimp Transactional (Mandrill): POST /api/1.3/users/ping (the official SDK's
 * version; the older /api/1.0 answers the same), users/ping2 and
 * messages/send (a `.json` suffix is accepted too), the key as `key` in the JSON body. Errors are
 * Mandrill's `{"status":"error","code","name","message"}` with HTTP 500; a body that is not JSON
 * has no key. A send answers 200 with one result per recipient; a malformed recipient address
 * is `invalid` there, not an error.
 */
import { field } from "../../providers/runtime.ts";
import { deliver, hang, isInvalidCredential, scenario, simulator } from "../lib.ts";
import { isEmailAddress } from "./sendgrid.ts";

export const mailchimp = simulator();

const error = (name: string, message: string, status = 500, code = -1, headers?: Record<string, string>) =>
  Response.json({ status: "error", code, name, message }, { status, headers });
const validation = (detail: unknown) =>
  error("ValidationError", `Validation error: ${JSON.stringify({ message: detail })}`, 500, -2);
const BLANK = "Sorry, this field can't be left blank.";

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  if (!(req.headers.get("content-type") ?? "").startsWith("application/json")) return {};
  try {
    const body = await req.json();
    return isObject(body) ? body : {};
  } catch {
    return {};
  }
}

/** Mandrill's error for the body's key, or null when it is accepted. */
function keyError(key: unknown): Response | null {
  if (typeof key !== "string" || !key) return error("ValidationError", "You must specify a key value");
  return isInvalidCredential(key) ? error("Invalid_Key", "Invalid API key") : null;
}

/** Mandrill's validation error for a `message` object, or null. */
function messageError(message: unknown): Response | null {
  if (!isObject(message)) return validation(BLANK);
  if (message.from_email === undefined || message.from_email === "") return validation({ from_email: BLANK });
  if (!isEmailAddress(message.from_email)) {
    return validation({ from_email: "The email address is invalid" });
  }
  const to = message.to;
  if (!Array.isArray(to) || to.length === 0) return validation({ to: BLANK });
  if (!to.every((r) => isObject(r) && typeof r.email === "string"))
    return validation({ to: [{ email: BLANK }] });
  return null;
}

/** The scenario's failure as Mandrill answers it, or null to accept the message. */
async function failure(which: ReturnType<typeof scenario>): Promise<Response | null> {
  switch (which) {
    case "429":
      // UNCONFIRMED: Mandrill documents no rate-limit error; a 429 with Retry-After is assumed.
      return error("GeneralError", "Too many requests", 429, -1, { "retry-after": "1" });
    case "503":
      return error("ServiceUnavailable", "Service temporarily unavailable", 503);
    case "500":
      return error("GeneralError", "An unknown error occurred processing your request");
    case "timeout":
      await hang();
      return null;
    default:
      return null;
  }
}

/** Mandrill-style message id: 32 hex digits. */
const messageId = () =>
  [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** One result per recipient; `[sandbox:400]` rejects them as a hard bounce. */
function results(message: Record<string, unknown>, rejected: boolean, body: Record<string, unknown>) {
  return (message.to as { email: string }[]).map(({ email }) => {
    const result = { email, _id: messageId(), reject_reason: null as string | null, queued_reason: null };
    if (!isEmailAddress(email)) return { ...result, status: "invalid" };
    if (rejected) return { ...result, status: "rejected", reject_reason: "hard-bounce" };
    // The key stays out of the inbox, which anyone with sandbox access can read.
    const { key: _key, ...recorded } = body;
    deliver("mailchimp", "email", email, recorded, result._id);
    return { ...result, status: "sent" };
  });
}

async function messagesSend(body: Record<string, unknown>): Promise<Response> {
  const invalid = messageError(body.message);
  if (invalid) return invalid;
  const message = body.message as Record<string, unknown>;
  const to = (message.to as { email: string }[]).map((r) => r.email).join(",");
  const texts = ["subject", "text", "html"]
    .map((k) => field(message, k))
    .filter((v) => typeof v === "string");
  const which = scenario("mailchimp", to, ...(texts as string[]));
  const failed = await failure(which);
  if (failed) return failed;
  return Response.json(results(message, which === "400", body));
}

mailchimp.post("/api/:version{1\\.[03]}/:group/:method", async (c) => {
  const method = `${c.req.param("group")}/${c.req.param("method").replace(/\.json$/, "")}`;
  const body = await jsonBody(c.req.raw);
  const denied = keyError(body.key);
  if (denied) return denied;
  switch (method) {
    case "users/ping":
      return Response.json("PONG!");
    case "users/ping2":
      return Response.json({ PING: "PONG!" });
    case "messages/send":
      return messagesSend(body);
    default:
      return error("ValidationError", `Unknown method "${method}"`);
  }
});
