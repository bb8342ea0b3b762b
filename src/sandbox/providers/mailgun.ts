/**
 * Simulated Mailgun: GET /v4/domains/{domain} (and the older /v3 one) and POST /v3/{domain}/messages
 * behind basic auth
 * `api:<key>`. A refused key gets 401 "Forbidden" (plain text); other errors are
 * `{"message": "..."}` with Mailgun's wording; a JSON body is not read, so its fields count as
 * missing, as at Mailgun. Any well-formed domain name exists and is active.
 */
import { basicCredentials, deliver, hang, isInvalidCredential, scenario, simulator } from "../lib.ts";
import { mailgunWebhooks } from "./mailgun-webhooks.ts";
import { isEmailAddress } from "./sendgrid.ts";

export const mailgun = simulator();

const DOMAIN_RE = /^(?=.{4,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const fail = (status: number, message: string, headers?: Record<string, string>) =>
  Response.json({ message }, { status, headers });

/** `api:<key>` from a Basic authorization header, or null. */
function basicKey(header: string | undefined): string | null {
  const creds = basicCredentials(header);
  return creds?.user === "api" && creds.password ? creds.password : null;
}

mailgun.use("*", async (c, next) => {
  const key = basicKey(c.req.header("authorization"));
  if (!key || isInvalidCredential(key)) {
    return new Response("Forbidden", {
      status: 401,
      headers: { "content-type": "text/plain; charset=utf-8" },
    });
  }
  await next();
});

const domainView = (name: string) => ({
  domain: {
    created_at: "Thu, 01 Jan 2026 00:00:00 GMT",
    id: "5f3c1e2a9b8d7c6e5f4a3b2c",
    is_disabled: false,
    name,
    require_tls: false,
    skip_verification: false,
    smtp_login: `postmaster@${name}`,
    spam_action: "disabled",
    state: "active",
    type: "custom",
    web_prefix: "email",
    web_scheme: "https",
    wildcard: false,
  },
  receiving_dns_records: [],
  sending_dns_records: [],
});

/** The v4 domains API (what mailgun.js `domains.get` calls); v3 answers the same for older clients. */
for (const version of ["v4", "v3"]) {
  mailgun.get(`/${version}/domains/:domain`, (c) => {
    const domain = c.req.param("domain");
    return DOMAIN_RE.test(domain) ? Response.json(domainView(domain)) : fail(404, "Domain not found");
  });
}

/** Splits an address list on commas outside quotes; each item is `addr` or `Name <addr>`. */
function addresses(list: string): string[] {
  const items = list.match(/(?:"(?:[^"\\]|\\.)*"|[^,"])+/g) ?? [];
  return items.map((item) => {
    const angle = /<([^<>]*)>\s*$/.exec(item);
    return (angle?.[1] ?? item).trim();
  });
}

/** Form fields as received (a repeated field becomes an array); other encodings are not read. */
async function formFields(req: Request): Promise<Record<string, string | string[]>> {
  const type = req.headers.get("content-type") ?? "";
  if (!/^(application\/x-www-form-urlencoded|multipart\/form-data)/.test(type)) return {};
  const form = await req.formData();
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(form.keys())) {
    const values = form.getAll(key).map((v) => (typeof v === "string" ? v : `[file ${v.name}]`));
    out[key] = values.length === 1 ? (values[0] as string) : values;
  }
  return out;
}

const all = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** Mailgun's 400 for a message missing or mangling a required parameter, or null. */
function invalidMessage(f: Record<string, string | string[]>): string | null {
  const from = all(f.from);
  if (!from.length) return "'from' parameter is missing";
  if (!from.flatMap(addresses).every(isEmailAddress))
    return "'from' parameter is not a valid address. please check documentation";
  const to = all(f.to);
  if (!to.length) return "'to' parameter is missing";
  if (!to.flatMap(addresses).every(isEmailAddress))
    return "'to' parameter is not a valid address. please check documentation";
  if (!all(f.subject).length) return "'subject' parameter is missing";
  if (!["text", "html", "amp-html", "template"].some((k) => all(f[k]).some(Boolean)))
    return "Need at least one of 'text', 'html', 'amp-html' or 'template' parameters specified";
  return null;
}

/** The scenario's failure as Mailgun answers it, or null to accept the message. */
async function failure(which: ReturnType<typeof scenario>): Promise<Response | null> {
  switch (which) {
    case "429":
      // UNCONFIRMED: Mailgun's exact 429 body and whether it sends Retry-After.
      return fail(429, "Too many requests", { "retry-after": "1" });
    case "503":
      return fail(503, "Service Unavailable");
    case "500":
      return fail(500, "Internal Server Error");
    case "400":
      return fail(400, "'to' parameter is not a valid address. please check documentation");
    case "timeout":
      await hang();
      return null;
    default:
      return null;
  }
}

/** `<20260101120000.0123456789abcdef@domain>`, Mailgun's Message-Id shape. */
function messageId(domain: string): string {
  const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
  const hex = [...crypto.getRandomValues(new Uint8Array(8))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
  return `<${stamp}.${hex}@${domain}>`;
}

mailgun.post("/v3/:domain/messages", async (c) => {
  const domain = c.req.param("domain");
  if (!DOMAIN_RE.test(domain)) return fail(404, "Domain not found");
  const f = await formFields(c.req.raw);
  const invalid = invalidMessage(f);
  if (invalid) return fail(400, invalid);
  const to = all(f.to).flatMap(addresses).join(",");
  const failed = await failure(scenario("mailgun", to, ...all(f.subject), ...all(f.text), ...all(f.html)));
  if (failed) return failed;
  const entry = deliver("mailgun", "email", to, f, messageId(domain));
  return Response.json({ id: entry.id, message: "Queued. Thank you." });
});

// Domain webhooks and the signing key (mailgun-webhooks.ts), behind the same basic auth.
mailgun.route("/", mailgunWebhooks);
