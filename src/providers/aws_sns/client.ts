/**
 * Amazon SNS Query API calls (providers.md §6), signed with SigV4 for service `sns`: every call
 * is `POST /` with a form body `Action=…&Version=2010-03-31` and answers XML. ListTopics is the
 * test call (providers.md names it); Publish with `PhoneNumber` sends an SMS. Errors come as
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error></ErrorResponse>`.
 */
import { awsError, awsRegion, awsRequest } from "../aws_ses/sigv4.ts";
import {
  type OutboundMessage,
  type ProviderContext,
  ProviderError,
  type ProviderResponse,
  type SendResult,
  setting,
  type TestResult,
} from "../runtime.ts";

const NAME = "Amazon SNS";
const VERSION = "2010-03-31";

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, e: string) => {
    if (e[0] === "#")
      return String.fromCodePoint(
        e[1] === "x" || e[1] === "X" ? parseInt(e.slice(2), 16) : Number(e.slice(1)),
      );
    return ENTITIES[e] ?? whole;
  });
}

/** The text of every `<tag>` element (the Query API's XML is flat enough for this). */
export function xmlValues(xml: string, tag: string): string[] {
  const re = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, "g");
  return [...xml.matchAll(re)].map((m) => unescapeXml((m[1] ?? "").trim()));
}

export const xmlValue = (xml: string, tag: string): string | undefined => xmlValues(xml, tag)[0];

function failure(res: ProviderResponse): ProviderError {
  return awsError(res, NAME, xmlValue(res.text, "Code"), xmlValue(res.text, "Message"));
}

/** One Query API call; asks for XML (with `Accept: application/json` AWS may answer JSON). */
export async function query(ctx: ProviderContext, action: string, params: Record<string, string> = {}) {
  const res = await awsRequest(ctx, "sns", {
    method: "POST",
    path: "/",
    headers: { accept: "text/xml" },
    form: { Action: action, ...params, Version: VERSION },
  });
  if (res.status !== 200 || !res.text.includes(`<${action}Response`)) throw failure(res);
  return res.text;
}

export async function test(ctx: ProviderContext): Promise<TestResult> {
  const xml = await query(ctx, "ListTopics");
  const arns = xmlValues(xml, "TopicArn");
  const more = xmlValue(xml, "NextToken") !== undefined;
  // arn:aws:sns:<region>:<account id>:<topic name>
  const account = arns[0]?.split(":")[4];
  const n = arns.length;
  const topics = n === 0 ? "no topics" : `${n}${more ? "+" : ""} topic${n === 1 && !more ? "" : "s"}`;
  return {
    message: `Connected to Amazon SNS in ${awsRegion(ctx)}${account ? ` as account ${account}` : ""} (${topics})`,
    details: { account_id: account, topic_count: arns.length, more_topics: more },
  };
}

/**
 * `MessageAttributes.entry.N.*` form fields. The origination number goes in
 * `AWS.MM.SMS.OriginationNumber` (AWS SNS docs "Publishing to a mobile phone"; not in providers.md).
 */
function messageAttributes(attributes: Record<string, string>): Record<string, string> {
  const form: Record<string, string> = {};
  Object.entries(attributes).forEach(([name, value], i) => {
    const prefix = `MessageAttributes.entry.${i + 1}`;
    form[`${prefix}.Name`] = name;
    form[`${prefix}.Value.DataType`] = "String";
    form[`${prefix}.Value.StringValue`] = value;
  });
  return form;
}

export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  if (!msg.text) throw new ProviderError("permanent", "an SMS needs a text");
  const xml = await query(ctx, "Publish", {
    PhoneNumber: msg.to,
    Message: msg.text,
    ...messageAttributes({ "AWS.MM.SMS.OriginationNumber": setting(ctx, "from_phone_number") }),
  });
  const messageId = xmlValue(xml, "MessageId");
  if (!messageId) throw new ProviderError("transient", `${NAME}: the Publish answer has no MessageId`);
  return { providerMessageId: messageId };
}
