/**
 * Sign-up pages (002, SPEC §9): the public submission endpoint of `signup_page` integrations.
 * A submission is validated against the integration's `form_fields`, upserted as a contact in
 * `records` (the same conventions as Lead Ads contacts) and announced as `lead.created`.
 *
 * `form_fields` is a JSON array; each item is either a field name (an optional text field) or
 * `{name, label?, type?, required?, options?}` with `type` one of FIELD_TYPES (default text).
 * With no `form_fields`, a page takes `email` (required), `name`, `phone` and `company`.
 */
import { and, eq } from "drizzle-orm";
import type { Settings } from "../config.ts";
import type { Db } from "../db/client.ts";
import { type IntegrationRow, integrations, records } from "../db/schema.ts";
import { ApiError, ErrorCode, type Issue, notFound } from "../errors.ts";
import { safeHttpUrl } from "../lib/http-url.ts";
import { prefixedId, UUID_RE } from "../lib/ids.ts";
import { SIGNUP_PROVIDER_ID } from "../providers/registry.ts";
import type { Activity } from "./activity.ts";
import type { Events } from "./events.ts";
import { E164_RE } from "./fields.ts";
import { hitRateLimit, type RateLimitOptions } from "./rate-limit.ts";

/** The provider whose integrations are sign-up pages. */
export const SIGNUP_PROVIDER: string = SIGNUP_PROVIDER_ID;
/** Submissions larger than this get 413 before they are read. */
export const MAX_SIGNUP_BYTES = 64 * 1024;
/** Submissions per client IP and integration. */
export const SIGNUP_RATE_LIMIT: RateLimitOptions = { limit: 10, windowSeconds: 60 };

export const FIELD_TYPES = ["text", "email", "phone", "number", "textarea", "select", "checkbox"] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

export interface FormField {
  name: string;
  label?: string;
  type: FieldType;
  required: boolean;
  options?: string[];
}

const DEFAULT_FIELDS: FormField[] = [
  { name: "email", label: "Email", type: "email", required: true },
  { name: "name", label: "Name", type: "text", required: false },
  { name: "phone", label: "Phone", type: "phone", required: false },
  { name: "company", label: "Company", type: "text", required: false },
];

const NAME_RE = /^[A-Za-z0-9_.-]{1,64}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const MAX_TEXT = 1000;
const MAX_TEXTAREA = 10_000;

/** The page's fields, from the stored `form_fields` (a JSON array, or its text); invalid items are skipped. */
export function formFieldsOf(config: Record<string, unknown>): FormField[] {
  let value = config.form_fields;
  if (typeof value === "string") {
    if (!value.trim()) return DEFAULT_FIELDS;
    try {
      value = JSON.parse(value);
    } catch {
      return DEFAULT_FIELDS;
    }
  }
  if (!Array.isArray(value) || !value.length) return DEFAULT_FIELDS;
  const out: FormField[] = [];
  for (const item of value) {
    if (typeof item === "string") {
      if (NAME_RE.test(item)) out.push({ name: item, type: "text", required: false });
      continue;
    }
    if (!item || typeof item !== "object") continue;
    const o = item as Record<string, unknown>;
    if (typeof o.name !== "string" || !NAME_RE.test(o.name)) continue;
    const type = (FIELD_TYPES as readonly string[]).includes(String(o.type)) ? (o.type as FieldType) : "text";
    out.push({
      name: o.name,
      ...(typeof o.label === "string" && o.label ? { label: o.label } : {}),
      type,
      required: o.required === true,
      ...(Array.isArray(o.options) ? { options: o.options.map(String) } : {}),
    });
  }
  return out.length ? out : DEFAULT_FIELDS;
}

/**
 * Where browsers go after a sign-up: the stored `redirect_url` when it is still a safe absolute
 * http(s) URL (writes refuse anything else; a value stored before that rule is ignored), else null.
 */
export function redirectUrlOf(config: Record<string, unknown>): string | null {
  return safeHttpUrl(config.redirect_url);
}

/** The origins allowed to post from a browser: `allowed_origins`, one a line (commas also split). */
export function allowedOriginsOf(config: Record<string, unknown>): string[] {
  const v = config.allowed_origins;
  const text = Array.isArray(v) ? v.join("\n") : typeof v === "string" ? v : "";
  return text
    .split(/[\n,]/)
    .map((s) => s.trim().replace(/\/+$/, "").toLowerCase())
    .filter(Boolean);
}

/** CORS headers for `origin` when the page allows it (a `*` line allows any), else none. */
export function corsHeaders(row: IntegrationRow, origin: string | undefined): Record<string, string> {
  if (!origin) return {};
  const allowed = allowedOriginsOf(row.config);
  const o = origin.replace(/\/+$/, "").toLowerCase();
  if (!allowed.includes(o) && !allowed.includes("*")) return {};
  return {
    "Access-Control-Allow-Origin": origin,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Content-Type, Accept",
    "Access-Control-Expose-Headers": "Retry-After, X-Request-Id",
    "Access-Control-Max-Age": "600",
    Vary: "Origin",
  };
}

const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);
const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && !v.trim());

/** Checks a submission against the fields; unknown fields are dropped. Throws a 400 naming each field. */
export function validateSubmission(
  fields: FormField[],
  input: Record<string, unknown>,
): Record<string, unknown> {
  const issues: Issue[] = [];
  const out: Record<string, unknown> = {};
  for (const f of fields) {
    const raw = first(input[f.name]);
    if (f.type === "checkbox") {
      const on =
        raw === true || (typeof raw === "string" && ["on", "true", "1", "yes"].includes(raw.toLowerCase()));
      if (f.required && !on) issues.push({ path: f.name, message: "must be checked" });
      else if (!isBlank(raw)) out[f.name] = on;
      continue;
    }
    if (isBlank(raw)) {
      if (f.required) issues.push({ path: f.name, message: "required" });
      continue;
    }
    if (typeof raw !== "string" && typeof raw !== "number") {
      issues.push({ path: f.name, message: "must be a string" });
      continue;
    }
    const s = String(raw).trim();
    switch (f.type) {
      case "email":
        if (s.length > 254 || !EMAIL_RE.test(s))
          issues.push({ path: f.name, message: "must be an email address" });
        else out[f.name] = s.toLowerCase();
        break;
      case "phone": {
        const p = s.replace(/[\s().-]/g, "");
        if (!E164_RE.test(p))
          issues.push({ path: f.name, message: "must be a phone number in E.164 form (+14155550123)" });
        else out[f.name] = p;
        break;
      }
      case "number": {
        const n = Number(s);
        if (!Number.isFinite(n)) issues.push({ path: f.name, message: "must be a number" });
        else out[f.name] = n;
        break;
      }
      case "select":
        if (f.options?.length && !f.options.includes(s))
          issues.push({ path: f.name, message: `must be one of: ${f.options.join(", ")}` });
        else out[f.name] = s;
        break;
      default: {
        const max = f.type === "textarea" ? MAX_TEXTAREA : MAX_TEXT;
        if (s.length > max) issues.push({ path: f.name, message: `is too long (${max} characters at most)` });
        else out[f.name] = s;
      }
    }
  }
  if (issues.length) {
    const [i] = issues;
    throw new ApiError(
      ErrorCode.INVALID_FIELD,
      `${i?.path}: ${i?.message}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
      { issues },
    );
  }
  return out;
}

const pick = (answers: Record<string, unknown>, names: string[]): string | undefined => {
  for (const n of names) {
    const v = answers[n];
    if (typeof v === "string" && v) return v;
  }
  return undefined;
};

/** name, email, phone and company from the answers, by field name (or, for email and phone, type). */
export function contactOf(fields: FormField[], answers: Record<string, unknown>) {
  const ofType = (t: FieldType) => fields.filter((f) => f.type === t).map((f) => f.name);
  const joined = [pick(answers, ["first_name", "firstname"]), pick(answers, ["last_name", "lastname"])]
    .filter(Boolean)
    .join(" ");
  const contact: Record<string, string> = {};
  const name = pick(answers, ["name", "full_name", "fullname"]) ?? (joined || undefined);
  const email = pick(answers, ["email", "email_address", ...ofType("email")]);
  const phone = pick(answers, ["phone", "phone_number", "mobile", ...ofType("phone")]);
  const company = pick(answers, ["company", "company_name", "organization", "organisation"]);
  if (name) contact.name = name;
  if (email) contact.email = email;
  if (phone) contact.phone = phone;
  if (company) contact.company = company;
  return contact;
}

export interface SignupResult {
  /** false for a honeypot hit: answered like a success, nothing stored. */
  stored: boolean;
  leadId: string;
  contactId: string | null;
  created: boolean;
}

export class Signup {
  constructor(
    private readonly db: Db,
    private readonly activity: Activity,
    private readonly events: Events,
    private readonly settings: Settings,
  ) {}

  /** The active, connected sign-up page `id`; anything else is a 404 that reveals nothing. */
  async page(id: string): Promise<IntegrationRow> {
    const missing = notFound("Sign-up page");
    if (!UUID_RE.test(id)) throw missing;
    const [row] = await this.db.select().from(integrations).where(eq(integrations.id, id)).limit(1);
    if (!row || row.provider !== SIGNUP_PROVIDER || !row.isActive || row.disconnectedAt) throw missing;
    return row;
  }

  /** Counts a submission from `ip`; a 429 with Retry-After past the limit. */
  rateLimit(row: IntegrationRow, ip: string) {
    return hitRateLimit(this.db, `signup:${row.id}:${ip}`, SIGNUP_RATE_LIMIT);
  }

  /** Validates and stores one submission, then emits `lead.created`. */
  async submit(row: IntegrationRow, input: Record<string, unknown>, meta: { origin?: string }) {
    const cfg = row.config;
    const leadId = prefixedId("lead");
    const honeypot = typeof cfg.honeypot_field === "string" ? cfg.honeypot_field.trim() : "";
    if (honeypot && !isBlank(first(input[honeypot]))) {
      await this.activity.logStatement({
        orgId: row.orgId,
        integrationId: row.id,
        level: "warn",
        action: "signup.spam",
        message: "Sign-up dropped: the honeypot field was filled",
        details: { honeypot_field: honeypot, ...(meta.origin ? { origin: meta.origin } : {}) },
      });
      return { stored: false, leadId, contactId: prefixedId("rec"), created: false } satisfies SignupResult;
    }
    const fields = formFieldsOf(cfg).filter((f) => f.name !== honeypot);
    const answers = validateSubmission(fields, input);
    const contact = contactOf(fields, answers);
    const tag = typeof cfg.apply_tag === "string" ? cfg.apply_tag.trim() : "";
    const campaign =
      typeof cfg.trigger_campaign_id === "string" && cfg.trigger_campaign_id.trim()
        ? cfg.trigger_campaign_id.trim()
        : null;

    let contactId: string | null = null;
    let created = false;
    if (cfg.auto_create_contact !== false) {
      const externalId = contact.email ?? contact.phone ?? leadId;
      const where = and(
        eq(records.integrationId, row.id),
        eq(records.entity, "contacts"),
        eq(records.externalId, externalId),
      );
      const [existing] = await this.db.select().from(records).where(where).limit(1);
      const oldTags = Array.isArray(existing?.data.tags) ? existing.data.tags.map(String) : [];
      const tags = tag && !oldTags.includes(tag) ? [...oldTags, tag] : oldTags;
      const data: Record<string, unknown> = {
        ...(existing?.deletedAt ? {} : existing?.data),
        ...answers,
        ...contact,
        source: SIGNUP_PROVIDER,
        ...(tags.length ? { tags } : {}),
        page_url: typeof cfg.page_url === "string" && cfg.page_url ? cfg.page_url : null,
        lead_id: leadId,
        external_provider: SIGNUP_PROVIDER,
      };
      const raw = { answers, submitted_at: new Date().toISOString(), origin: meta.origin ?? null };
      const now = new Date().toISOString();
      const [saved] = await this.db
        .insert(records)
        .values({
          id: prefixedId("rec"),
          orgId: row.orgId,
          integrationId: row.id,
          entity: "contacts",
          externalId,
          data,
          raw,
        })
        .onConflictDoUpdate({
          target: [records.integrationId, records.entity, records.externalId],
          set: { data, raw, updatedAt: now, deletedAt: null },
        })
        .returning({ id: records.id });
      contactId = saved?.id ?? null;
      created = !existing;
    }

    await this.events.emit(
      row.orgId,
      "lead.created",
      {
        integration_id: row.id,
        provider: SIGNUP_PROVIDER,
        lead_id: leadId,
        contact_id: contactId,
        contact,
        answers,
        campaign_id: campaign,
        tags: tag ? [tag] : [],
        source: SIGNUP_PROVIDER,
      },
      { key: leadId },
    );
    // The log names the fields, never their values.
    await this.activity.logStatement({
      orgId: row.orgId,
      integrationId: row.id,
      action: "signup.received",
      message: created ? "Sign-up received; contact created" : "Sign-up received",
      details: {
        lead_id: leadId,
        contact_id: contactId,
        created,
        fields: Object.keys(answers),
        ...(meta.origin ? { origin: meta.origin } : {}),
      },
    });
    return { stored: true, leadId, contactId, created } satisfies SignupResult;
  }

  /** The page's public URL. */
  signupUrl(id: string) {
    return signupUrl(this.settings, id);
  }
}

export const signupUrl = (settings: Settings, id: string) =>
  `${(settings.PUBLIC_URL ?? "").replace(/\/+$/, "")}/signup/${id}`;

/** Escapes text for HTML element content and for quoted attribute values. */
const esc = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] ?? ch,
  );

/**
 * A value as a JavaScript literal inside `<script>`: JSON with `<`, `>` and `&` escaped (so
 * neither `</script` nor `<!--` can appear) and U+2028/U+2029 escaped (line terminators in
 * older engines), per the HTML standard's "restrictions for contents of script elements".
 */
export const scriptJson = (value: unknown): string =>
  JSON.stringify(value).replace(
    /[<>&\u2028\u2029]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );

const INPUT_TYPES: Record<FieldType, string> = {
  text: "text",
  email: "email",
  phone: "tel",
  number: "number",
  textarea: "",
  select: "",
  checkbox: "checkbox",
};

/**
 * A minimal, accessible embed: a `<form>` posting to the page's URL (it works without script:
 * the browser follows the 303 to `redirect_url`), the honeypot hidden from people and screen
 * readers, and an inline script that posts with fetch and shows the answer. No external assets.
 */
export function embedHtml(row: IntegrationRow, settings: Settings): string {
  const action = signupUrl(settings, row.id);
  const honeypot = typeof row.config.honeypot_field === "string" ? row.config.honeypot_field.trim() : "";
  const redirect = redirectUrlOf(row.config) ?? "";
  const fid = `sb-signup-${row.id.slice(0, 8)}`;
  const lines: string[] = [`<form id="${fid}" action="${esc(action)}" method="post" novalidate>`];
  for (const f of formFieldsOf(row.config).filter((x) => x.name !== honeypot)) {
    const id = `${fid}-${f.name}`;
    const label = esc(f.label ?? f.name.replace(/[_-]+/g, " ").replace(/^./, (c) => c.toUpperCase()));
    const req = f.required ? " required" : "";
    const mark = f.required ? ' <span aria-hidden="true">*</span>' : "";
    const name = esc(f.name);
    if (f.type === "checkbox") {
      lines.push(
        `  <p><input type="checkbox" id="${id}" name="${name}" value="on"${req}> <label for="${id}">${label}${mark}</label></p>`,
      );
    } else if (f.type === "textarea") {
      lines.push(
        `  <p><label for="${id}">${label}${mark}</label><br><textarea id="${id}" name="${name}" rows="4"${req}></textarea></p>`,
      );
    } else if (f.type === "select") {
      const opts = (f.options ?? []).map((o) => `<option value="${esc(o)}">${esc(o)}</option>`).join("");
      lines.push(
        `  <p><label for="${id}">${label}${mark}</label><br><select id="${id}" name="${name}"${req}><option value=""></option>${opts}</select></p>`,
      );
    } else {
      const ac =
        f.type === "email" ? ' autocomplete="email"' : f.type === "phone" ? ' autocomplete="tel"' : "";
      lines.push(
        `  <p><label for="${id}">${label}${mark}</label><br><input type="${INPUT_TYPES[f.type]}" id="${id}" name="${name}"${ac}${req}></p>`,
      );
    }
  }
  if (honeypot) {
    lines.push(
      `  <div aria-hidden="true" style="position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden"><label>Leave this empty <input type="text" name="${esc(honeypot)}" tabindex="-1" autocomplete="off"></label></div>`,
    );
  }
  lines.push('  <p><button type="submit">Sign up</button></p>');
  lines.push('  <p role="status" aria-live="polite"></p>');
  lines.push("</form>");
  const script = `(function(){var f=document.getElementById(${scriptJson(fid)});var s=f.querySelector('[role=status]');var r=${scriptJson(redirect)};f.addEventListener('submit',function(e){e.preventDefault();var d={};new FormData(f).forEach(function(v,k){d[k]=v;});s.textContent='Sending…';fetch(f.action,{method:'POST',headers:{'Content-Type':'application/json',Accept:'application/json'},body:JSON.stringify(d)}).then(function(res){return res.json().catch(function(){return {};}).then(function(b){if(res.ok){if(r){location.href=r;return;}f.reset();s.textContent='Thank you for signing up!';}else{s.textContent=(b&&b.error)||'Something went wrong; please try again.';}});}).catch(function(){s.textContent='Something went wrong; please try again.';});});})();`;
  lines.push(`<script>${script}</script>`);
  return lines.join("\n");
}
