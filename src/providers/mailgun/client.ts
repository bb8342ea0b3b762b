/**
 * Mailgun calls: GET /v4/domains/{domain} (test, as mailgun.js `domains.get`) and POST
 * /v3/{domain}/messages (send,
 * form-urlencoded), with HTTP basic auth `api:<private API key>`. Errors come as
 * `{"message": "..."}`, except a refused key: 401 with the bare text "Forbidden".
 */

import {
  basicAuth,
  errorFrom,
  field,
  type OutboundMessage,
  type ProviderContext,
  type ProviderErrorKind,
  type ProviderResponse,
  request,
  type SendResult,
  secret,
  setting,
  type TestResult,
} from "../runtime.ts";
import { emailSender, MESSAGE_ID_METADATA } from "../sendgrid/email-sender.ts";

/** The US region's API (the provider's default base URL). */
export const US_BASE_URL = "https://api.mailgun.net";
/** The EU region's API, for accounts whose domains live in the EU. */
export const EU_BASE_URL = "https://api.eu.mailgun.net";

/**
 * The context with the region applied: an `eu` integration talks to the EU host, but only when
 * the base URL is still the US default (the sandbox and deployment overrides stay as they are).
 */
function regional(ctx: ProviderContext): ProviderContext {
  const isDefault = ctx.baseUrl.replace(/\/+$/, "") === US_BASE_URL;
  return isDefault && ctx.config.region === "eu" ? { ...ctx, baseUrl: EU_BASE_URL } : ctx;
}

const headers = (ctx: ProviderContext) => ({
  authorization: basicAuth("api", secret(ctx, "api_key")),
});

const domainOf = (ctx: ProviderContext) => encodeURIComponent(setting(ctx, "domain"));

/**
 * 401 is a refused key. A 403 on send is Mailgun refusing this message or domain (a sandbox
 * domain's unauthorized recipient, a disabled domain), not the key, so it is permanent.
 */
function kindFor(status: number): ProviderErrorKind | undefined {
  if (status === 401) return "auth";
  if (status === 403) return "permanent";
  return undefined;
}

function failure(res: ProviderResponse) {
  const message = field(res.data, "message");
  const reason = typeof message === "string" ? message : res.text.trim().slice(0, 200) || "unexpected answer";
  const kind = kindFor(res.status);
  return kind ? errorFrom(res, `Mailgun: ${reason}`, kind) : errorFrom(res, `Mailgun: ${reason}`);
}

/** The sending domain as the key's account sees it in this region (404 when it has none). */
export async function test(ctx: ProviderContext): Promise<TestResult> {
  const c = regional(ctx);
  const res = await request(c, { path: `/v4/domains/${domainOf(c)}`, headers: headers(c) });
  if (res.status !== 200) throw failure(res);
  const name = String(field(res.data, "domain", "name") ?? setting(c, "domain"));
  const state = String(field(res.data, "domain", "state") ?? "unknown");
  return {
    message: `Connected: sending domain ${name} is ${state}`,
    details: { domain: name, state, type: field(res.data, "domain", "type") },
  };
}

/** `Name <address>`, quoting the name when it holds characters special in a mail header. */
function mailbox(email: string, name?: string): string {
  if (!name) return email;
  const display = /^[\w !#$%&'*+/=?^`{|}~-]+$/.test(name) ? name : `"${name.replace(/(["\\])/g, "\\$1")}"`;
  return `${display} <${email}>`;
}

/** Mailgun answers `{"id": "<…@domain>", "message": "Queued. Thank you."}`. */
export async function send(ctx: ProviderContext, msg: OutboundMessage): Promise<SendResult> {
  const c = regional(ctx);
  const sender = emailSender(c);
  const res = await request(c, {
    method: "POST",
    path: `/v3/${domainOf(c)}/messages`,
    headers: headers(c),
    form: {
      from: mailbox(sender.email, sender.name),
      to: msg.to,
      subject: msg.subject,
      text: msg.text,
      html: msg.html,
      "h:Reply-To": sender.replyTo,
      [`v:${MESSAGE_ID_METADATA}`]: msg.id,
    },
  });
  if (res.status !== 200) throw failure(res);
  const id = field(res.data, "id");
  // Without the angle brackets, as Mailgun's events and webhooks give the Message-Id.
  return { providerMessageId: typeof id === "string" && id ? id.replace(/^<|>$/g, "") : msg.id };
}
