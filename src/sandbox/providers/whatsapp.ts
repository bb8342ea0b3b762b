/**
 * Simulated WhatsApp Business Cloud API: `GET /{version}/{phone-number-id}` and
 * `POST /{version}/{phone-number-id}/messages` (text and template messages), with Graph's token
 * checks (an invalid token is 401 here, per WhatsApp's error table) and the Cloud API's error
 * bodies, which add `error_data: {messaging_product, details}`. The codes and titles are Meta's;
 * detail wordings marked UNCONFIRMED below are the simulator's own.
 */
import type { Context } from "hono";
import { field } from "../../providers/runtime.ts";
import { deliver, simulator } from "../lib.ts";
import {
  graphError,
  graphParams,
  graphScenario,
  invalidParam,
  pick,
  randomToken,
  rejectAuth,
  unknownObject,
  unknownPaths,
  usageHeader,
  VERSION,
} from "./facebook.ts";

export const whatsapp = simulator();

const TOKEN_STATUS = 401;

// The business phone number behind any phone number id.
const PHONE = {
  verified_name: "Sandbox Business",
  display_phone_number: "+1 555-010-0000",
  code_verification_status: "VERIFIED",
  quality_rating: "GREEN",
  platform_type: "CLOUD_API",
};

const cloudError = (status: number, code: number, title: string, details: string, headers?: HeadersInit) =>
  graphError(
    status,
    { message: `(#${code}) ${title}`, code, error_data: { messaging_product: "whatsapp", details } },
    headers,
  );
const missing = (details: string) => cloudError(400, 131008, "Required parameter is missing", details);
const notValid = (details: string) => cloudError(400, 131009, "Parameter value is not valid", details);

const FAILURES = {
  rateLimit: () =>
    cloudError(
      429,
      80007,
      "Rate limit issues",
      "The WhatsApp Business Account has reached its rate limit.",
      usageHeader("whatsapp_business_messaging"),
    ),
  rejection: () =>
    cloudError(
      400,
      131030,
      "Recipient phone number not in allowed list",
      "Recipient phone number not in allowed list: Add recipient phone number to recipient list and try again.",
    ),
};

/** Why a template object is refused, or null. */
function templateProblem(template: unknown): Response | null {
  if (typeof field(template, "name") !== "string" || !field(template, "name"))
    return missing("The parameter template['name'] is required.");
  if (typeof field(template, "language", "code") !== "string")
    return missing("The parameter template['language']['code'] is required.");
  const components = field(template, "components");
  if (components !== undefined && !Array.isArray(components))
    return notValid("Param template['components'] must be an array."); // wording UNCONFIRMED
  return null;
}

/** Why a send is refused, or null. `type` defaults to text, as on the Cloud API. */
function messageProblem(p: Record<string, unknown>): Response | null {
  if (p.messaging_product === undefined) return invalidParam("The parameter messaging_product is required.");
  if (p.messaging_product !== "whatsapp")
    return invalidParam(
      `Param messaging_product must be one of {WHATSAPP} - got "${String(p.messaging_product)}".`,
    );
  if (p.to === undefined || p.to === "") return invalidParam("The parameter to is required.");
  // wording UNCONFIRMED
  if (!/^\+?\d{7,15}$/.test(String(p.to))) return notValid("Param to must be a phone number.");
  const type = p.type ?? "text";
  if (type === "text") {
    const body = field(p.text, "body");
    if (typeof body !== "string" || !body) return missing("The parameter text['body'] is required.");
    if (body.length > 4096) return notValid("Param text['body'] must be at most 4096 characters long.");
    return null;
  }
  if (type === "template") return templateProblem(p.template);
  // The hub sends only text and templates, so the simulator takes nothing else.
  return notValid(`The sandbox simulates text and template messages, not ${String(type)}.`);
}

/** The message text and template parts a scenario trigger may sit in. */
const scenarioParts = (p: Record<string, unknown>): string[] =>
  [
    field(p.text, "body"),
    field(p.template, "name"),
    JSON.stringify(field(p.template, "components") ?? ""),
  ].map(String);

function phoneNumberId(c: Context, method: string): { id: string; problem: Response | null } {
  const id = c.req.param("phone") ?? "";
  const problem = rejectAuth(c, id, TOKEN_STATUS) ?? (/^\d+$/.test(id) ? null : unknownObject(method, id));
  return { id, problem };
}

whatsapp.get(`/${VERSION}/:phone`, (c) => {
  const { id, problem } = phoneNumberId(c, "GET");
  return problem ?? Response.json(pick(c, { ...PHONE, id }));
});

whatsapp.post(`/${VERSION}/:phone/messages`, async (c) => {
  const { problem } = phoneNumberId(c, "POST");
  if (problem) return problem;
  const params = await graphParams(c);
  const refused = messageProblem(params);
  if (refused) return refused;
  const to = String(params.to);
  const failure = await graphScenario("whatsapp", FAILURES, to, ...scenarioParts(params));
  if (failure) return failure;
  const type = String(params.type ?? "text");
  const wamid = `wamid.HBgL${randomToken(36)}`;
  deliver("whatsapp", type, to, params, wamid);
  return Response.json({
    messaging_product: "whatsapp",
    contacts: [{ input: to, wa_id: to.replace(/^\+/, "") }],
    messages: [{ id: wamid, ...(type === "template" ? { message_status: "accepted" } : {}) }],
  });
});

/** Each business account's subscribed apps: the app's name and its override callback, if set. */
const subscribedApps = new Map<string, { override_callback_uri?: string }>();

function businessAccount(c: Context, method: string): { id: string; problem: Response | null } {
  const id = c.req.param("waba") ?? "";
  const problem = rejectAuth(c, id, TOKEN_STATUS) ?? (/^\d+$/.test(id) ? null : unknownObject(method, id));
  return { id, problem };
}

whatsapp.get(`/${VERSION}/:waba/subscribed_apps`, (c) => {
  const { id, problem } = businessAccount(c, "GET");
  if (problem) return problem;
  const app = subscribedApps.get(id);
  return Response.json({
    data: app
      ? [
          {
            whatsapp_business_api_data: {
              link: "https://sandbox.example/app",
              name: "Sandbox App",
              id: "1234567890",
            },
            ...app,
          },
        ]
      : [],
  });
});

whatsapp.post(`/${VERSION}/:waba/subscribed_apps`, async (c) => {
  const { id, problem } = businessAccount(c, "POST");
  if (problem) return problem;
  const params = await graphParams(c);
  const uri = params.override_callback_uri;
  if (uri !== undefined) {
    if (typeof uri !== "string" || !/^https:\/\//.test(uri))
      return invalidParam("Param override_callback_uri must be a valid https URL."); // wording UNCONFIRMED
    if (typeof params.verify_token !== "string" || !params.verify_token)
      return invalidParam("The parameter verify_token is required.");
  }
  subscribedApps.set(id, typeof uri === "string" ? { override_callback_uri: uri } : {});
  return Response.json({ success: true });
});

unknownPaths(whatsapp, "whatsapp");
