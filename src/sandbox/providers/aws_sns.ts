/**
 * Simulated Amazon SNS Query API: `POST /` with a form body, actions ListTopics, Publish (to a
 * phone number), CreateTopic, Subscribe and ListSubscriptionsByTopic (topics and subscriptions
 * are remembered, sns-topics.ts), SigV4-checked by the helper shared with the SES simulator,
 * answered in SNS's XML, errors as `<ErrorResponse><Error><Type/><Code/><Message/></Error>`.
 * A subscription's SubscribeURL (`GET /?Action=ConfirmSubscription&TopicArn=&Token=`, unsigned,
 * as SNS's is) confirms it; the signing certificate is served at its SigningCertURL.
 */
import { getSettings } from "../../config.ts";
import { deliver, hang, scenario, simulator } from "../lib.ts";
import { AWS_INTERNAL_FAILURE, AWS_UNAVAILABLE, type SigV4Problem, verifySigV4 } from "./aws_ses.ts";
import {
  ACCOUNT_ID,
  certificateDownloads,
  SANDBOX_SNS_CERTIFICATE,
  subscribe,
  subscriptions,
  topicArn,
  topics,
} from "./sns-topics.ts";

export const aws_sns = simulator();

const NS = "http://sns.amazonaws.com/doc/2010-03-31/";
const VERSION = "2010-03-31";
const E164_RE = /^\+[1-9]\d{6,14}$/;

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
  const arns = [
    `arn:aws:sns:${region || "us-east-1"}:${ACCOUNT_ID}:switchboard-sandbox`,
    ...[...topics].filter((t) => t.split(":")[3] === region),
  ];
  const members = arns.map(
    (arn) => `      <member>\n        <TopicArn>${escapeXml(arn)}</TopicArn>\n      </member>`,
  );
  return ok("ListTopics", `    <Topics>\n${members.join("\n")}\n    </Topics>`);
}

const TOPIC_NAME_RE = /^[A-Za-z0-9_-]{1,256}$/;

function createTopic(params: URLSearchParams, region: string) {
  const name = params.get("Name") ?? "";
  if (!TOPIC_NAME_RE.test(name)) return fail(400, "InvalidParameter", "Invalid parameter: Topic Name");
  const arn = topicArn(region, name);
  topics.add(arn);
  return ok("CreateTopic", `    <TopicArn>${escapeXml(arn)}</TopicArn>`);
}

const notFound = () => fail(404, "NotFound", "Topic does not exist");

function subscribeTo(params: URLSearchParams, env: Env) {
  const topic = params.get("TopicArn") ?? "";
  if (!topics.has(topic)) return notFound();
  const protocol = params.get("Protocol") ?? "";
  const endpoint = params.get("Endpoint") ?? "";
  if (!["http", "https"].includes(protocol))
    return fail(
      400,
      "InvalidParameter",
      "Invalid parameter: the sandbox simulates HTTP/S subscriptions only",
    );
  if (!endpoint.startsWith(`${protocol}://`))
    return fail(400, "InvalidParameter", "Invalid parameter: Endpoint Reason: must match the protocol");
  const base = `${getSettings(env).sandboxBase ?? "http://127.0.0.1:8787/sandbox"}/aws_sns`;
  const s = subscribe(topic, protocol, endpoint, base);
  const arn = s.confirmed || params.get("ReturnSubscriptionArn") === "true" ? s.arn : "pending confirmation";
  return ok("Subscribe", `    <SubscriptionArn>${escapeXml(arn)}</SubscriptionArn>`);
}

function listSubscriptionsByTopic(params: URLSearchParams) {
  const topic = params.get("TopicArn") ?? "";
  if (!topics.has(topic)) return notFound();
  const members = [...subscriptions.values()]
    .filter((s) => s.topicArn === topic)
    .map(
      (s) =>
        `      <member>\n        <TopicArn>${escapeXml(topic)}</TopicArn>\n        <Protocol>${s.protocol}</Protocol>\n` +
        `        <SubscriptionArn>${escapeXml(s.confirmed ? s.arn : "PendingConfirmation")}</SubscriptionArn>\n` +
        `        <Owner>${ACCOUNT_ID}</Owner>\n        <Endpoint>${escapeXml(s.endpoint)}</Endpoint>\n      </member>`,
    );
  return ok("ListSubscriptionsByTopic", `    <Subscriptions>\n${members.join("\n")}\n    </Subscriptions>`);
}

/** The SubscribeURL: confirms the subscription whose token it carries. */
function confirmSubscription(params: URLSearchParams) {
  const topic = params.get("TopicArn") ?? "";
  const token = params.get("Token") ?? "";
  const s = [...subscriptions.values()].find((x) => x.topicArn === topic && x.token === token);
  if (!s) return fail(400, "InvalidParameter", "Invalid token");
  s.confirmed = true;
  return ok("ConfirmSubscription", `    <SubscriptionArn>${escapeXml(s.arn)}</SubscriptionArn>`);
}

// The certificate, at CERTIFICATE_PATH (and at any other SimpleNotificationService-*.pem name,
// as SNS rotates its certificate's name).
aws_sns.get("/:name{SimpleNotificationService-[A-Za-z0-9-]+\\.pem}", (c) => {
  const path = `/${c.req.param("name")}`;
  certificateDownloads.set(path, (certificateDownloads.get(path) ?? 0) + 1);
  return new Response(SANDBOX_SNS_CERTIFICATE, { headers: { "content-type": "application/x-x509-ca-cert" } });
});

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
  const query = new URL(c.req.url).searchParams;
  if (c.req.method === "GET" && query.get("Action") === "ConfirmSubscription")
    return confirmSubscription(query);
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
  if (action === "CreateTopic") return createTopic(params, auth.region);
  if (action === "Subscribe") return subscribeTo(params, c.env);
  if (action === "ListSubscriptionsByTopic") return listSubscriptionsByTopic(params);
  return fail(400, "InvalidAction", `The action ${action} is not valid for this web service.`);
});
