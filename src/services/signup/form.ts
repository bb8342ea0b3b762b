/**
 * A sign-up page's configuration read for its form: the fields (`form_fields`), where a browser
 * goes after a submission (`redirect_url`), which origins may post (`allowed_origins`), the
 * validation of a submission against the fields, the contact it names, and the page's URL.
 */
import type { Settings } from "../../config.ts";
import type { IntegrationRow } from "../../db/schema.ts";
import { ApiError, ErrorCode, type Issue } from "../../errors.ts";
import { safeHttpUrl } from "../../lib/http-url.ts";
import { E164_RE } from "../fields.ts";

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

export const first = (v: unknown): unknown => (Array.isArray(v) ? v[0] : v);
export const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === "string" && !v.trim());

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

/** The page's public URL. */
export const signupUrl = (settings: Settings, id: string) =>
  `${(settings.PUBLIC_URL ?? "").replace(/\/+$/, "")}/signup/${id}`;
