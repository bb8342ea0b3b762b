/**
 * Provider field values: maps the names every dialect uses (001's top-level credentials,
 * 002's flat configure bodies, 004's `extra`, free-form `config`) onto a provider's declared
 * fields, validates them by type, and splits secrets (vault) from settings (config).
 */
import { z } from "zod";
import type { Issue } from "../errors.ts";
import { httpUrlProblem, trimSpaces } from "../lib/http-url.ts";
import { MASK } from "../lib/log.ts";
import { E164_RE } from "../providers/channels.ts";
import type { Provider, ProviderField } from "../providers/types.ts";

/** Names that are credentials whatever the provider declares (001's credential columns, ...). */
const SECRET_NAME_RE = /secret|token|password|passwd|api[_-]?key|private[_-]?key|credential/i;
/**
 * Names that look like credentials but are shown by design: a webhook verify token is typed
 * into the provider's dashboard (like `webhook_verify_token`), a token type or expiry is not one.
 */
const SHOWN_NAME_RE = /verify_?token|token_?(?:type|url|uri|expires?(?:_in|_at)?)$/i;

/** Whether an undeclared setting's name says it holds a credential. */
export const isSecretKey = (name: string): boolean => SECRET_NAME_RE.test(name) && !SHOWN_NAME_RE.test(name);

/** Longest nesting walked for secrets inside a free-form value. */
const MAX_SECRET_DEPTH = 32;

export { E164_RE };

export interface FieldChanges {
  /** Non-secret values to set (null removes the key). */
  config: Record<string, unknown>;
  /**
   * Secret values to set (null removes the secret). Masked or empty values are left out. A
   * secret found inside a free-form value is named by its path (`auth.password`, `servers.0.key`).
   */
  secrets: Record<string, string | null>;
  /** Settings removed whole (set to null): the secrets stored under them go too. */
  removed: string[];
  issues: Issue[];
}

export function findField(provider: Provider, name: string): ProviderField | undefined {
  return provider.fields.find((f) => f.name === name || f.aliases?.includes(name));
}

export const isSecretName = (provider: Provider, name: string): boolean => {
  const f = findField(provider, name);
  return f ? f.secret : isSecretKey(name);
};

/**
 * Splits the secrets out of an undeclared free-form value: a string (or number) under a
 * secret-looking key, at any depth (or anywhere inside one: `api_keys: ["…"]`), goes to
 * `secrets` under its path and is left out of the returned value; `null` there removes it.
 */
function splitSecrets(
  value: unknown,
  path: string,
  secrets: Record<string, string | null>,
  issues: Issue[],
  issuePath: string,
  underSecret: boolean,
  depth = 0,
): unknown {
  if (value === null || typeof value !== "object" || depth >= MAX_SECRET_DEPTH) return value;
  const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
  const kept: [string, unknown][] = [];
  for (const [k, v] of entries) {
    const at = `${path}.${k}`;
    const secretHere = underSecret || isSecretKey(k);
    if (secretHere && (typeof v === "string" || typeof v === "number" || v === null)) {
      if (v === null) secrets[at] = null;
      else if (v === "" || v === MASK) {
        // Unchanged: the stored secret stays.
      } else if (String(v).length > 16_384)
        issues.push({ path: `${issuePath}.${k}`, message: "is too long (16384 characters at most)" });
      else secrets[at] = String(v);
      continue;
    }
    kept.push([k, splitSecrets(v, at, secrets, issues, `${issuePath}.${k}`, secretHere, depth + 1)]);
  }
  return Array.isArray(value) ? kept.map(([, v]) => v) : Object.fromEntries(kept);
}

/** Sets `value` at a dotted path in a copy-on-write JSON object (missing parents are created). */
function setPath(target: Record<string, unknown>, path: string[], value: unknown) {
  const [head, ...rest] = path;
  if (head === undefined) return;
  if (!rest.length) {
    target[head] = value;
    return;
  }
  const child = target[head];
  const copy: Record<string, unknown> = Array.isArray(child)
    ? ([...child] as unknown as Record<string, unknown>)
    : child && typeof child === "object"
      ? { ...(child as Record<string, unknown>) }
      : {};
  setPath(copy, rest, value);
  target[head] = copy;
}

/** Deep copy with any value under a secret-looking key masked (settings stored before vaulting). */
function maskSecretKeys(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== "object" || depth >= MAX_SECRET_DEPTH) return value;
  if (Array.isArray(value)) return value.map((v) => maskSecretKeys(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      isSecretKey(k) && (typeof v === "string" || typeof v === "number") && v !== ""
        ? MASK
        : maskSecretKeys(v, depth + 1);
  }
  return out;
}

/**
 * The settings as a client sees them: never a credential. With `inline` (the 001 dialect, whose
 * clients send config back as they got it), each vaulted undeclared setting shows as `••••••`
 * where the client put it (`auth.password`); otherwise vaulted values are only in `secrets`.
 */
export function shownConfig(
  provider: Provider,
  config: Record<string, unknown>,
  secretFields: string[],
  opts: { inline?: boolean } = {},
): Record<string, unknown> {
  const out = maskSecretKeys(config) as Record<string, unknown>;
  if (opts.inline) {
    for (const name of secretFields) {
      if (findField(provider, name)) continue;
      setPath(out, name.split("."), MASK);
    }
  }
  return out;
}

const emailSchema = z.email();

function checkValue(
  provider: Provider,
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
    case "url": {
      const problem = httpUrlProblem(s);
      return problem ? { ok: false, message: problem } : { ok: true, value: trimSpaces(s) };
    }
    case "phone": {
      const bare = provider.normalizePhone?.(s) ?? s;
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
 * Resolves flat values or a free-form config object against the provider's fields; undeclared
 * values with credential-like names, also nested ones, are secrets. `path` prefixes issue paths
 * so the error names the field as the client sent it.
 */
export function resolveFields(
  provider: Provider,
  values: Record<string, unknown>,
  path: (name: string) => string = (n) => n,
): FieldChanges {
  const out: FieldChanges = { config: {}, secrets: {}, removed: [], issues: [] };
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) continue;
    const field = findField(provider, name);
    const key = field?.name ?? name;
    // A value with a credential-like name is a credential even when the provider does not
    // declare it, at the top level and inside free-form objects (`auth.password`).
    const secret = field ? field.secret : isSecretKey(name) && (typeof value !== "object" || value === null);
    if (secret) {
      if (value === null) {
        out.secrets[key] = null;
        out.removed.push(key);
      } else if (!field && typeof value === "number") out.secrets[key] = String(value);
      else if (typeof value !== "string") out.issues.push({ path: path(name), message: "must be a string" });
      else if (value === "" || value === MASK) continue;
      else if (value.length > 16_384)
        out.issues.push({ path: path(name), message: "is too long (16384 characters at most)" });
      else out.secrets[key] = value;
      continue;
    }
    if (value === null || value === "") {
      out.config[key] = null;
      out.removed.push(key);
      continue;
    }
    if (!field) {
      out.config[key] = splitSecrets(value, key, out.secrets, out.issues, path(name), isSecretKey(name));
      continue;
    }
    const checked = checkValue(provider, field, value);
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
