/**
 * Provider field values: maps the names every dialect uses (001's top-level credentials,
 * 002's flat configure bodies, 004's `extra`, free-form `config`) onto a provider's declared
 * fields, validates them by type, and splits secrets (vault) from settings (config).
 */
import { z } from "zod";
import type { Issue } from "../errors.ts";
import { MASK } from "../lib/log.ts";
import type { Provider, ProviderField } from "../providers/types.ts";

/** Names that are credentials whatever the provider declares (001's credential columns, ...). */
const SECRET_NAME_RE = /secret|token|password|passwd|api[_-]?key|private[_-]?key|credential/i;

export const E164_RE = /^\+[1-9]\d{6,14}$/;

export interface FieldChanges {
  /** Non-secret values to set (null removes the key). */
  config: Record<string, unknown>;
  /** Secret values to set (null removes the secret). Masked or empty values are left out. */
  secrets: Record<string, string | null>;
  issues: Issue[];
}

export function findField(provider: Provider, name: string): ProviderField | undefined {
  return provider.fields.find((f) => f.name === name || f.aliases?.includes(name));
}

export const isSecretName = (provider: Provider, name: string): boolean => {
  const f = findField(provider, name);
  return f ? f.secret : SECRET_NAME_RE.test(name);
};

const emailSchema = z.email();

function checkValue(
  field: ProviderField,
  value: unknown,
): { ok: true; value: unknown } | { ok: false; message: string } {
  switch (field.type) {
    case "boolean":
      if (typeof value === "boolean") return { ok: true, value };
      if (value === "true" || value === "false") return { ok: true, value: value === "true" };
      return { ok: false, message: "must be true or false" };
    case "number": {
      const n =
        typeof value === "number" ? value : typeof value === "string" && value.trim() ? Number(value) : NaN;
      return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, message: "must be a number" };
    }
    case "json": {
      if (typeof value === "string") {
        try {
          return { ok: true, value: JSON.parse(value) };
        } catch {
          return { ok: false, message: "must be valid JSON" };
        }
      }
      return typeof value === "object"
        ? { ok: true, value }
        : { ok: false, message: "must be a JSON object or array" };
    }
    default:
      break;
  }
  const s = typeof value === "number" ? String(value) : value;
  if (typeof s !== "string") return { ok: false, message: "must be a string" };
  if (s.length > 16_384) return { ok: false, message: "is too long (16384 characters at most)" };
  switch (field.type) {
    case "email":
      return emailSchema.safeParse(s).success
        ? { ok: true, value: s }
        : { ok: false, message: "must be an email address" };
    case "url":
      try {
        const u = new URL(s);
        if (u.protocol === "https:" || u.protocol === "http:") return { ok: true, value: s };
      } catch {
        // fall through
      }
      return { ok: false, message: "must be an http(s) URL" };
    case "phone": {
      const bare = s.replace(/^whatsapp:/, "");
      return E164_RE.test(bare)
        ? { ok: true, value: s }
        : { ok: false, message: "must be an E.164 phone number such as +14155550123" };
    }
    case "select":
      return field.options?.includes(s)
        ? { ok: true, value: s }
        : { ok: false, message: `must be one of: ${(field.options ?? []).join(", ")}` };
    default:
      return { ok: true, value: s };
  }
}

/**
 * Resolves flat values (or, with `freeForm`, a config object) against the provider's fields.
 * `path` prefixes issue paths so the error names the field as the client sent it.
 */
export function resolveFields(
  provider: Provider,
  values: Record<string, unknown>,
  path: (name: string) => string = (n) => n,
  opts: { freeForm?: boolean } = {},
): FieldChanges {
  const out: FieldChanges = { config: {}, secrets: {}, issues: [] };
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const field = findField(provider, name);
    const key = field?.name ?? name;
    // In a free-form config object, only declared secret fields are secret; a top-level value
    // with a credential-like name is a credential even when the provider does not declare it.
    const secret = field ? field.secret : !opts.freeForm && SECRET_NAME_RE.test(name);
    if (secret) {
      if (value === null) out.secrets[key] = null;
      else if (typeof value !== "string") out.issues.push({ path: path(name), message: "must be a string" });
      else if (value === "" || value === MASK) continue;
      else if (value.length > 16_384)
        out.issues.push({ path: path(name), message: "is too long (16384 characters at most)" });
      else out.secrets[key] = value;
      continue;
    }
    if (value === null || value === "") {
      out.config[key] = null;
      continue;
    }
    if (!field) {
      out.config[key] = value;
      continue;
    }
    const checked = checkValue(field, value);
    if (checked.ok) out.config[key] = checked.value;
    else out.issues.push({ path: path(name), message: `${field.label} ${checked.message}` });
  }
  return out;
}

/** Required fields with no value, given the stored config and the names of stored secrets. */
export function missingFields(
  provider: Provider,
  config: Record<string, unknown>,
  secretNames: string[],
): string[] {
  return provider.fields
    .filter((f) => f.required)
    .filter((f) =>
      f.secret ? !secretNames.includes(f.name) : config[f.name] === undefined || config[f.name] === null,
    )
    .map((f) => f.name);
}
