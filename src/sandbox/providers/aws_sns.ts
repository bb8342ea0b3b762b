/**
 * Simulated Amazon SNS Query API: `POST /` with a form body, actions ListTopics and Publish (to a
 * phone number), SigV4-checked by the helper shared with the SES simulator, answered in SNS's
 * XML, errors as `<ErrorResponse><Error><Type/><Code/><Message/></Error>`.
 */
import { deliver, hang, scenario, simulator } from "../lib.ts";
import { AWS_INTERNAL_FAILURE, AWS_UNAVAILABLE, type SigV4Problem, verifySigV4 } from "./aws_ses.ts";

export const aws_sns = simulator();

const NS = "http://sns.amazonaws.com/doc/2010-03-31/";
const VERSION = "2010-03-31";
const E164_RE = /^\+[1-9]\d{6,14}$/;
const ACCOUNT_ID = "123456789012";

/** Escapes element text (quotes stay as they are, as in AWS's answers). */
const escapeXml = (s: string) => s.replace(/[<>&]/g, (ch) => `&${{ "<": "lt", ">": "gt", "&": "amp" }[ch]};`);

const xml = (status: number, body: string) =>
  new Response(`<?xml version="1.0"?>\n${body}\n`, { status, headers: { "content-type": "text/xml" } });

const requestId = () => `<RequestId>${crypto.randomUUID()}</RequestId>`;

/** An SNS error: `Sender` faults for the caller's mistakes, `Receiver` for AWS's own. */
function fail(status: number, code: string, message: string) {
  const type = status >= 500 ? "Receiver" : "Sender";
  return xml(
    status,
    `<ErrorResponse xmlns="${NS}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${code}</Code>\n` +
      `    <Message>${escapeXml(message)}</Message>\n  </Error>\n  ${requestId()}\n</ErrorResponse>`,
  );
}

/** `<ActionResponse><ActionResult>…</ActionResult><ResponseMetadata/></ActionResponse>`. */
const ok = (action: string, result: string) =>
  xml(
    200,
    `<${action}Response xmlns="${NS}">\n  <${action}Result>\n${result}\n  </${action}Result>\n` +
      `  <ResponseMetadata>\n    ${requestId()}\n  </ResponseMetadata>\n</${action}Response>`,
  );

/** The Query API's code per SigV4 refusal (providers.md §6 marks the exact codes UNCONFIRMED). */
const AUTH_ERRORS: Record<SigV4Problem, [code: string, message?: string]> = {
  missing: ["MissingAuthenticationToken", "Request is missing Authentication Token"],
  incomplete: ["IncompleteSignature"],
  unknown_key: ["InvalidClientTokenId"],
  mismatch: ["SignatureDoesNotMatch"],
  expired: ["SignatureDoesNotMatch"],
};

const nullAt = (member: string) =>
  `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`;

/** `MessageAttributes.entry.N.{Name,Value.DataType,Value.StringValue}` → a problem, or null. */
function attributeProblem(params: URLSearchParams): string | null {
  for (const [key, name] of params) {
    const m = key.match(/^MessageAttributes\.entry\.(\d+)\.Name$/);
    if (!m) continue;
    const prefix = `MessageAttributes.entry.${m[1]}.Value`;
    const type = params.get(`${prefix}.DataType`);
    if (!type) return `The message attribute '${name}' must contain non-empty message attribute type.`;
    if (!["String", "Number", "Binary"].includes(type.split(".")[0] ?? ""))
      return `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`;
    if (!params.get(`${prefix}.StringValue`) && !params.get(`${prefix}.BinaryValue`))
      return `The message attribute '${name}' must contain non-empty message attribute value.`;
    if (name === "AWS.MM.SMS.OriginationNumber" && !E164_RE.test(params.get(`${prefix}.StringValue`) ?? ""))
      return `Invalid parameter: MessageAttributes Reason: ${name} must be an E.164 phone number`;
  }
  return null;
}

function listTopics(region: string) {
  const arn = `arn:aws:sns:${region || "us-east-1"}:${ACCOUNT_ID}:switchboard-sandbox`;
  return ok(
    "ListTopics",
    `    <Topics>\n      <member>\n        <TopicArn>${arn}</TopicArn>\n      </member>\n    </Topics>`,
  );
}

async function publish(params: URLSearchParams) {
  const phone = params.get("PhoneNumber");
  const message = params.get("Message");
  if (!phone && !params.get("TopicArn") && !params.get("TargetArn"))
    return fail(
      400,
      "InvalidParameter",
      "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
    );
  if (message === null) return fail(400, "ValidationError", nullAt("message"));
  if (!phone)
    return fail(400, "InvalidParameter", "Invalid parameter: the sandbox only simulates SMS (PhoneNumber)");
  if (!E164_RE.test(phone))
    return fail(
      400,
      "InvalidParameter",
      `Invalid parameter: PhoneNumber Reason: ${phone} is not valid to publish to`,
    );
  if (!message) return fail(400, "InvalidParameter", "Invalid parameter: Empty message");
  const attributes = attributeProblem(params);
  if (attributes) return fail(400, "InvalidParameterValue", attributes);
  switch (scenario("aws_sns", phone, message)) {
    case "429":
      // SNS Query API throttling: a 400 with code Throttling, no Retry-After.
      return fail(400, "Throttling", "Rate exceeded");
    case "503":
      return fail(503, "ServiceUnavailable", AWS_UNAVAILABLE);
    case "500":
      return fail(500, "InternalFailure", AWS_INTERNAL_FAILURE);
    case "400":
      return fail(
        400,
        "InvalidParameter",
        `Invalid parameter: PhoneNumber Reason: ${phone} is not valid to publish to`,
      );
    case "timeout":
      await hang();
      break;
    default:
      break;
  }
  const entry = deliver("aws_sns", "sms", phone, Object.fromEntries(params), crypto.randomUUID());
  return ok("Publish", `    <MessageId>${entry.id}</MessageId>`);
}

// Every Query API call goes to the endpoint's root path ("/", which the mount sees as "/*").
aws_sns.on(["GET", "POST"], "/*", async (c) => {
  const auth = await verifySigV4(c.req.raw, c.env, "sns");
  if (!auth.ok) {
    const [code, message = auth.message] = AUTH_ERRORS[auth.problem];
    return fail(403, code, message);
  }
  // Query parameters and a form body both carry the call (AWS reads either).
  const params = new URL(c.req.url).searchParams;
  if ((c.req.header("content-type") ?? "").startsWith("application/x-www-form-urlencoded"))
    for (const [k, v] of new URLSearchParams(auth.body)) params.append(k, v);
  const action = params.get("Action");
  // UNCONFIRMED wording: a JSON body carries no Action the Query API can read.
  if (!action) return fail(400, "MissingAction", "Missing Action");
  const version = params.get("Version");
  if (version !== VERSION)
    return fail(
      400,
      "InvalidAction",
      `Could not find operation ${action} for version ${version ?? "NO_VERSION_SPECIFIED"}`,
    );
  if (action === "ListTopics") return listTopics(auth.region);
  if (action === "Publish") return publish(params);
  return fail(400, "InvalidAction", `The action ${action} is not valid for this web service.`);
});
