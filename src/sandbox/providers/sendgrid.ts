/**
 * Simulated SendGrid v3: GET /v3/scopes and POST /v3/mail/send behind `Authorization: Bearer
 * SG.…`, with SendGrid's error bodies (`{"errors":[{"message","field","help"}]}`), its
 * validation messages, 429 with X-RateLimit-* headers, and 202 + X-Message-Id on success.
 */
import { field } from "../../providers/runtime.ts";
import { deliver, hang, isInvalidCredential, scenario, simulator } from "../lib.ts";
import { sendgridWebhooks } from "./sendgrid-webhooks.ts";

export const sendgrid = simulator();

/** A plain `local@domain.tld` address (the email simulators share this check). */
export const isEmailAddress = (v: unknown): v is string =>
  typeof v === "string" && /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/.test(v);

interface SgError {
  message: string;
  field: string | null;
  help?: string | null;
}

const HELP = "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html";
const invalid = (message: string, at: string, anchor: string): SgError => ({
  message,
  field: at,
  help: `${HELP}#message.${anchor}`,
});
const fail = (status: number, errors: SgError[], headers?: Record<string, string>) =>
  Response.json({ errors }, { status, headers });

const KEY_RE = /^SG\.[\w-]+\.[\w-]+$/;
const SCOPES = [
  "mail.send",
  "alerts.read",
  "asm.groups.read",
  "stats.read",
  "templates.read",
  "user.profile.read",
];

const nonEmpty = (v: unknown): boolean => typeof v === "string" && v.length > 0;
const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

sendgrid.use("*", async (c, next) => {
  const key = /^Bearer (.+)$/.exec(c.req.header("authorization") ?? "")?.[1];
  if (!key) return fail(401, [{ field: null, message: "authorization required" }]);
  if (!KEY_RE.test(key) || isInvalidCredential(key)) {
    return fail(401, [
      { field: null, message: "The provided authorization grant is invalid, expired, or revoked" },
    ]);
  }
  await next();
});

sendgrid.get("/v3/scopes", () => Response.json({ scopes: SCOPES }));

// The Event Webhook settings (sendgrid-webhooks.ts), behind the same key check.
sendgrid.route("/", sendgridWebhooks);

function personalizationErrors(ps: unknown): SgError[] {
  if (!Array.isArray(ps) || ps.length === 0) {
    return [invalid("You must have at least one personalization.", "personalizations", "personalizations")];
  }
  return ps.flatMap((p, i): SgError[] => {
    const to = field(p, "to");
    if (!Array.isArray(to) || to.length === 0) {
      const msg = "The to parameter is required for all personalization objects.";
      return [invalid(msg, `personalizations.${i}.to`, "personalizations.to")];
    }
    return to.flatMap((r, j) =>
      isEmailAddress(field(r, "email"))
        ? []
        : [
            invalid(
              "Does not contain a valid address.",
              `personalizations.${i}.to.${j}.email`,
              "personalizations.to",
            ),
          ],
    );
  });
}

function senderErrors(b: Record<string, unknown>): SgError[] {
  const errors: SgError[] = [];
  if (!isObject(b.from)) {
    const msg =
      "The from object must be provided for every email send. It is an object that requires the email parameter, but may also contain a name parameter.";
    errors.push(invalid(msg, "from", "from"));
  } else if (!isEmailAddress(b.from.email)) {
    errors.push(invalid("The from email does not contain a valid address.", "from.email", "from"));
  }
  if (b.reply_to !== undefined && !isEmailAddress(field(b.reply_to, "email"))) {
    errors.push(
      invalid("The reply_to email does not contain a valid address.", "reply_to.email", "reply_to"),
    );
  }
  return errors;
}

function subjectErrors(b: Record<string, unknown>): SgError[] {
  const ps = Array.isArray(b.personalizations) ? b.personalizations : [];
  if (nonEmpty(b.subject) || (ps.length > 0 && ps.every((p) => nonEmpty(field(p, "subject"))))) return [];
  const msg =
    "The subject is required. You can get around this requirement if you use a template with a subject defined or if every personalization has a subject defined.";
  return [invalid(msg, "subject", "subject")];
}

function contentErrors(b: Record<string, unknown>): SgError[] {
  if (b.template_id !== undefined) return [];
  const content = b.content;
  if (!Array.isArray(content) || content.length === 0) {
    const msg =
      "Unless a valid template_id is provided, the content parameter is required. There must be at least one defined content block. We typically suggest both text/plain and text/html blocks are included, but only one block is required.";
    return [invalid(msg, "content", "content")];
  }
  const errors = content.flatMap((part, i): SgError[] => [
    ...(nonEmpty(field(part, "type"))
      ? []
      : [
          invalid(
            "A content type is required, this tells email clients how to display the email.",
            `content.${i}.type`,
            "content.type",
          ),
        ]),
    ...(nonEmpty(field(part, "value"))
      ? []
      : [
          invalid(
            "The content value must be a string at least one character in length.",
            `content.${i}.value`,
            "content.value",
          ),
        ]),
  ]);
  const types = content.map((part) => field(part, "type"));
  const ordered = ["text/plain", "text/html"]
    .filter((t) => types.includes(t))
    .every((t, i) => types[i] === t);
  if (!ordered) {
    const msg =
      "Following RFC 1341, section 7.2, if either text/html or text/plain are to be sent in your email: text/plain needs to be first, followed by text/html, followed by any other content.";
    errors.push(invalid(msg, "content", "content.value"));
  }
  return errors;
}

function customArgErrors(b: Record<string, unknown>): SgError[] {
  if (b.custom_args === undefined) return [];
  const ok = isObject(b.custom_args) && Object.values(b.custom_args).every((v) => typeof v === "string");
  return ok
    ? []
    : [invalid("All values of custom arguments object must be strings", "custom_args", "custom_args")];
}

/** All of SendGrid's validation errors for a mail body (it reports them together). */
const validate = (b: Record<string, unknown>): SgError[] => [
  ...personalizationErrors(b.personalizations),
  ...senderErrors(b),
  ...subjectErrors(b),
  ...contentErrors(b),
  ...customArgErrors(b),
];

/** SendGrid-style message id: 22 characters of URL-safe base64. */
function messageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** The scenario's failure as SendGrid answers it, or null to accept the message. */
async function failure(which: ReturnType<typeof scenario>): Promise<Response | null> {
  switch (which) {
    case "429":
      return fail(429, [{ field: null, message: "too many requests" }], {
        "x-ratelimit-limit": "600",
        "x-ratelimit-remaining": "0",
        "x-ratelimit-reset": String(Math.floor(Date.now() / 1000) + 1),
      });
    case "503":
      return fail(503, [{ field: null, message: "service unavailable" }]);
    case "500":
      return fail(500, [{ field: null, message: "internal error" }]);
    case "400":
      return fail(400, [
        invalid("Does not contain a valid address.", "personalizations.0.to.0.email", "personalizations.to"),
      ]);
    case "timeout":
      await hang();
      return null;
    default:
      return null;
  }
}

sendgrid.post("/v3/mail/send", async (c) => {
  // UNCONFIRMED: the status SendGrid gives a non-JSON content type (415 here).
  if (!(c.req.header("content-type") ?? "").startsWith("application/json")) {
    return fail(415, [{ field: null, message: "Content-Type should be application/json.", help: null }]);
  }
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    return fail(400, [{ field: null, message: "Bad Request", help: null }]);
  }
  if (!isObject(body)) return fail(400, [{ field: null, message: "Bad Request", help: null }]);
  const errors = validate(body);
  if (errors.length) return fail(400, errors);
  const to = (body.personalizations as unknown[]).flatMap((p) =>
    (field(p, "to") as unknown[]).map((r) => String(field(r, "email"))),
  );
  const texts = (body.content as unknown[] | undefined)?.map((part) => String(field(part, "value"))) ?? [];
  const failed = await failure(scenario("sendgrid", to.join(","), String(body.subject ?? ""), ...texts));
  if (failed) return failed;
  const entry = deliver("sendgrid", "email", to.join(","), body, messageId());
  return new Response(null, { status: 202, headers: { "x-message-id": entry.id } });
});
