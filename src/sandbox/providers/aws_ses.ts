/**
 * Simulated Amazon SES API v2: GetAccount, SendEmail and configuration sets with event
 * destinations (ses-configuration-sets.ts), SigV4-signed, with SES's JSON error
 * bodies (`{"message"}` plus the code in `x-amzn-ErrorType`).
 *
 * Also the SigV4 check the simulated SNS API shares ({@link verifySigV4}). Like AWS it refuses a
 * missing or malformed Authorization header, a stale or future X-Amz-Date (±15 min), a credential
 * scope for another date, region syntax, service or terminator, and an access key id containing
 * "invalid". The sandbox cannot know a customer's secret, so it recomputes the signature (with
 * aws4fetch) only for the documented test key pair {@link SANDBOX_ACCESS_KEY_ID} /
 * {@link SANDBOX_SECRET_ACCESS_KEY}; any other well-formed key passes once the rest checks out.
 * The sandbox endpoint serves every region, so any well-formed region code is accepted.
 */
import { AwsV4Signer } from "aws4fetch";
import { getSettings } from "../../config.ts";
import { deliver, hang, inboxEntries, isInvalidCredential, scenario, simulator } from "../lib.ts";
import { configurationSetRoutes } from "./ses-configuration-sets.ts";

export const aws_ses = simulator();

/** The test key pair whose signatures the sandbox verifies in full. */
/** AWS's wording for the 503 and 500 answers every AWS API gives. */
export const AWS_UNAVAILABLE = "The request has failed due to a temporary failure of the server.";
export const AWS_INTERNAL_FAILURE =
  "The request processing has failed because of an unknown error, exception or failure.";

export const SANDBOX_ACCESS_KEY_ID = "AKIASANDBOXEXAMPLE1";
export const SANDBOX_SECRET_ACCESS_KEY = "sandbox/secret/key/EXAMPLE";

// ---------------------------------------------------------------------------------------------
// SigV4 verification (shared with aws_sns.ts)
// ---------------------------------------------------------------------------------------------

/** Why a signature was refused; each API maps these to its own error codes. */
export type SigV4Problem = "missing" | "incomplete" | "unknown_key" | "mismatch" | "expired";

export type SigV4Result =
  | { ok: true; body: string; region: string; accessKeyId: string }
  | { ok: false; problem: SigV4Problem; message: string };

const MISMATCH =
  "The request signature we calculated does not match the signature you provided. " +
  "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
const UNKNOWN_KEY = "The security token included in the request is invalid.";
const MAX_SKEW_MS = 15 * 60 * 1000;
const AMZ_DATE_RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const ACCESS_KEY_RE = /^[A-Z0-9]{16,128}$/;

const refuse = (problem: SigV4Problem, message: string): SigV4Result => ({ ok: false, problem, message });

/** The URL the client signed: the sandbox strips its own prefix before routing here. */
function signedUrl(req: Request, env: Env): string {
  const url = new URL(req.url);
  const base = getSettings(env).sandboxBase;
  const prefix = base ? new URL(base).pathname.replace(/\/+$/, "") : "/sandbox";
  return `${url.origin}${prefix}${url.pathname}${url.search}`;
}

/** `AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` → its three parameters. */
function parseAuthorization(header: string): Record<string, string> | string {
  const [scheme, ...rest] = header.trim().split(/\s+/);
  const params: Record<string, string> = {};
  if (scheme === "AWS4-HMAC-SHA256") {
    for (const part of rest.join(" ").split(",")) {
      const eq = part.indexOf("=");
      if (eq > 0) params[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
  }
  const missing = ["Credential", "Signature", "SignedHeaders"].filter((k) => !params[k]);
  if (missing.length === 0) return params;
  return missing.map((k) => `Authorization header requires '${k}' parameter.`).join(" ");
}

const dateOf = (amzDate: string): number => {
  const [, y, mo, d, h, mi, s] = amzDate.match(AMZ_DATE_RE) ?? [];
  return Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
};

const toAmzDate = (ms: number) => new Date(ms).toISOString().replace(/[:-]|\.\d{3}/g, "");

/** AWS's own wording for a request outside the ±15 min window. */
function freshness(amzDate: string, now: number): string | null {
  const at = dateOf(amzDate);
  if (at < now - MAX_SKEW_MS)
    return `Signature expired: ${amzDate} is now earlier than ${toAmzDate(now - MAX_SKEW_MS)} (${toAmzDate(now)} - 15 min.)`;
  if (at > now + MAX_SKEW_MS)
    return `Signature not yet current: ${amzDate} is still later than ${toAmzDate(now + MAX_SKEW_MS)} (${toAmzDate(now)} + 15 min.)`;
  return null;
}

/** The credential scope `<date>/<region>/<service>/aws4_request` against the request. */
function scopeProblem(scope: string[], amzDate: string, service: string): string | null {
  const [date, region, scopeService, terminator] = scope;
  if (date !== amzDate.slice(0, 8))
    return `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${date}' != '${amzDate.slice(0, 8)}', from '${amzDate}'.`;
  if (!region || !REGION_RE.test(region)) return "Credential should be scoped to a valid region.";
  if (scopeService !== service) return `Credential should be scoped to correct service: '${service}'.`;
  if (terminator !== "aws4_request")
    return `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`;
  return null;
}

async function sha256Hex(body: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", body);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Recomputes the signature with the test secret, from exactly the headers the client signed. */
async function expectedSignature(
  req: Request,
  url: string,
  body: ArrayBuffer,
  signedHeaders: string[],
  scope: { region: string; service: string; amzDate: string },
) {
  const headers = new Headers();
  for (const name of signedHeaders) if (name !== "host") headers.set(name, req.headers.get(name) ?? "");
  const signer = new AwsV4Signer({
    method: req.method,
    url,
    headers,
    body: body.byteLength ? body : undefined,
    accessKeyId: SANDBOX_ACCESS_KEY_ID,
    secretAccessKey: SANDBOX_SECRET_ACCESS_KEY,
    service: scope.service,
    region: scope.region,
    datetime: scope.amzDate,
    allHeaders: true,
  });
  return { signature: await signer.signature(), canonical: await signer.canonicalString() };
}

interface SignedParts {
  accessKeyId: string;
  /** `<date>/<region>/<service>/aws4_request`, split. */
  scope: string[];
  signedHeaders: string[];
  signature: string;
  amzDate: string;
}

/** The Authorization header and X-Amz-Date, or AWS's IncompleteSignature wording. */
function readSignedParts(req: Request): SignedParts | SigV4Result {
  const authorization = req.headers.get("authorization");
  if (!authorization) return refuse("missing", "Missing Authentication Token");
  const params = parseAuthorization(authorization);
  if (typeof params === "string") return refuse("incomplete", params);
  const credential = params.Credential ?? "";
  const [accessKeyId = "", ...scope] = credential.split("/");
  if (scope.length !== 4)
    return refuse(
      "incomplete",
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${credential}'`,
    );
  const signedHeaders = (params.SignedHeaders ?? "").split(";");
  if (!signedHeaders.includes("host"))
    return refuse("incomplete", "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
  const amzDate = req.headers.get("x-amz-date");
  if (!amzDate)
    return refuse(
      "incomplete",
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  if (!AMZ_DATE_RE.test(amzDate))
    return refuse(
      "incomplete",
      `Date must be in ISO-8601 'basic format'. Got '${amzDate}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  if (!signedHeaders.includes("x-amz-date"))
    return refuse("incomplete", "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
  return { accessKeyId, scope, signedHeaders, signature: params.Signature ?? "", amzDate };
}

/**
 * Checks a request's SigV4 signature for `service` the way AWS does and reads its body.
 * @returns the body text and the signed region, or why AWS would refuse the request.
 */
export async function verifySigV4(req: Request, env: Env, service: string): Promise<SigV4Result> {
  const body = await req.arrayBuffer();
  const parts = readSignedParts(req);
  if ("ok" in parts) return parts;
  const { accessKeyId, scope, signedHeaders, signature, amzDate } = parts;
  const stale = freshness(amzDate, Date.now());
  if (stale) return refuse("expired", stale);
  const badScope = scopeProblem(scope, amzDate, service);
  if (badScope) return refuse("mismatch", badScope);
  if (!ACCESS_KEY_RE.test(accessKeyId) || isInvalidCredential(accessKeyId))
    return refuse("unknown_key", UNKNOWN_KEY);
  const payloadHash = req.headers.get("x-amz-content-sha256");
  if (payloadHash && payloadHash !== (await sha256Hex(body)))
    return refuse("mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  if (!/^[0-9a-f]{64}$/.test(signature)) return refuse("mismatch", MISMATCH);
  const region = scope[1] ?? "";
  if (accessKeyId === SANDBOX_ACCESS_KEY_ID) {
    const url = signedUrl(req, env);
    const expected = await expectedSignature(req, url, body, signedHeaders, { region, service, amzDate });
    if (expected.signature !== signature)
      // AWS appends the canonical request it computed, which is how one debugs a signer.
      return refuse(
        "mismatch",
        `${MISMATCH}\n\nThe Canonical String for this request should have been\n'${expected.canonical}'\n`,
      );
  }
  return { ok: true, body: new TextDecoder().decode(body), region, accessKeyId };
}

// ---------------------------------------------------------------------------------------------
// Amazon SES API v2
// ---------------------------------------------------------------------------------------------

const CORAL = ":http://internal.amazon.com/coral/com.amazon.coral.service/";

/** An SES v2 error: `{"message"}` with the code in `x-amzn-ErrorType`. */
const fail = (status: number, code: string, message: string) =>
  Response.json(
    { message },
    { status, headers: { "x-amzn-ErrorType": code, "x-amzn-RequestId": crypto.randomUUID() } },
  );

/** SES's code per refusal (providers.md leaves the exact types UNCONFIRMED). */
const AUTH_ERRORS: Record<SigV4Problem, string> = {
  missing: `MissingAuthenticationTokenException${CORAL}`,
  incomplete: `IncompleteSignatureException${CORAL}`,
  unknown_key: `UnrecognizedClientException${CORAL}`,
  mismatch: "SignatureDoesNotMatch",
  // What REST-JSON services answer for an expired signature.
  expired: `InvalidSignatureException${CORAL}`,
};

/** The signed request's body and region, or SES's 403 answer. */
async function signed(req: Request, env: Env) {
  const result = await verifySigV4(req, env, "ses");
  if (result.ok) return result;
  return fail(403, AUTH_ERRORS[result.problem], result.message);
}

aws_ses.get("/v2/email/account", async (c) => {
  const auth = await signed(c.req.raw, c.env);
  if (auth instanceof Response) return auth;
  return Response.json(
    {
      DedicatedIpAutoWarmupEnabled: false,
      EnforcementStatus: "HEALTHY",
      ProductionAccessEnabled: true,
      SendQuota: {
        Max24HourSend: 50000.0,
        MaxSendRate: 14.0,
        SentLast24Hours: inboxEntries("aws_ses").length,
      },
      SendingEnabled: true,
      SuppressionAttributes: { SuppressedReasons: ["BOUNCE", "COMPLAINT"] },
    },
    { headers: { "x-amzn-RequestId": crypto.randomUUID() } },
  );
});

/** The address of `addr@x`, `"Name" <addr@x>` or `=?UTF-8?B?…?= <addr@x>`. */
const addressOf = (s: string) => (s.match(/<([^<>]+)>\s*$/)?.[1] ?? s).trim();
const ADDRESS_RE = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
const nullAt = (path: string) =>
  `1 validation error detected: Value null at '${path}' failed to satisfy constraint: Member must not be null`;

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : undefined;
const data = (v: unknown) => obj(v)?.Data;

interface SendEmail {
  from: string;
  to: string[];
  /** Subject, text and html, where the scenario triggers are looked for. */
  texts: string[];
}

/**
 * The parts of a SendEmail body, or the BadRequestException message SES would answer.
 * Messages marked UNCONFIRMED are guesses at SES's wording.
 */
function readSendEmail(body: Json): SendEmail | string {
  const content = obj(body.Content);
  if (!content) return nullAt("content");
  const simple = obj(content.Simple);
  if (!simple) return nullAt("content.simple"); // UNCONFIRMED: only Simple content is simulated
  const subject = data(simple.Subject);
  if (typeof subject !== "string") return nullAt("content.simple.subject.data");
  const mailBody = obj(simple.Body);
  if (!mailBody) return nullAt("content.simple.body");
  const bodies = [data(mailBody.Text), data(mailBody.Html)].filter((v) => typeof v === "string");
  if (bodies.length === 0) return "Message body must contain text or HTML."; // UNCONFIRMED
  const from = body.FromEmailAddress;
  if (typeof from !== "string") return "Missing required header 'From'."; // UNCONFIRMED
  const to = obj(body.Destination)?.ToAddresses;
  if (!Array.isArray(to) || to.length === 0) return "Missing required header 'To'."; // UNCONFIRMED
  if (to.length > 50) return "Recipient count exceeds 50.";
  for (const a of [from, ...to])
    if (typeof a !== "string" || !ADDRESS_RE.test(addressOf(a))) return "Missing final '@domain'";
  return { from, to: to as string[], texts: [subject, ...(bodies as string[])] };
}

/** The JSON object of a SendEmail body, or SES's answer to any other body. */
function jsonBody(contentType: string | undefined, text: string): Json | Response {
  // UNCONFIRMED wording: SES v2 is a REST-JSON API and cannot read any other body.
  const unreadable = () =>
    fail(400, "SerializationException", "Start of structure or map found where not expected.");
  if (!(contentType ?? "").startsWith("application/json")) return unreadable();
  try {
    return obj(JSON.parse(text)) ?? unreadable();
  } catch {
    return unreadable();
  }
}

/** SES's answer to a send that asked for a failure, or null to go on. */
async function scenarioFailure(email: SendEmail, region: string): Promise<Response | null> {
  switch (scenario("aws_ses", email.to.join(", "), ...email.texts)) {
    case "429":
      // SES sends no Retry-After (providers.md §7).
      return fail(429, "TooManyRequestsException", "Too many requests have been made to the operation.");
    case "503":
      return fail(503, "ServiceUnavailable", AWS_UNAVAILABLE);
    case "500":
      return fail(500, "InternalFailure", AWS_INTERNAL_FAILURE);
    case "400":
      return fail(
        400,
        "MessageRejected",
        `Email address is not verified. The following identities failed the check in region ${region.toUpperCase()}: ${email.from}`,
      );
    case "timeout":
      await hang();
      return null;
    default:
      return null;
  }
}

/** An SES-style message id: `0100<12 hex>-<uuid>-000000`. */
const sesMessageId = () => {
  const hex = [...crypto.getRandomValues(new Uint8Array(6))].map((b) => b.toString(16).padStart(2, "0"));
  return `0100${hex.join("")}-${crypto.randomUUID()}-000000`;
};

aws_ses.post("/v2/email/outbound-emails", async (c) => {
  const auth = await signed(c.req.raw, c.env);
  if (auth instanceof Response) return auth;
  const body = jsonBody(c.req.header("content-type"), auth.body);
  if (body instanceof Response) return body;
  const email = readSendEmail(body);
  if (typeof email === "string") return fail(400, "BadRequestException", email);
  const failure = await scenarioFailure(email, auth.region);
  if (failure) return failure;
  const entry = deliver("aws_ses", "email", email.to.join(", "), body, sesMessageId());
  return Response.json({ MessageId: entry.id }, { headers: { "x-amzn-RequestId": crypto.randomUUID() } });
});

// Configuration sets and their event destinations (ses-configuration-sets.ts).
aws_ses.route(
  "/",
  configurationSetRoutes((c) => signed(c.req.raw, c.env), fail),
);

aws_ses.all("/*", () => fail(404, "UnknownOperationException", "Unknown operation"));
