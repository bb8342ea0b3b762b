/**
 * The one redactor for provider text the hub stores or emits (integration `last_error`,
 * integration logs, webhook and sync logs, message errors, host-app events, proxy answers).
 *
 * Two passes:
 * - the integration's own secret values, also URL-encoded, JSON-escaped, base64 (standard and
 *   URL-safe) and inside any base64 run that decodes to text holding one (HTTP Basic
 *   `user:secret`, RFC 7617);
 * - credential shapes whoever they belong to: `Bearer`/`Basic` credentials, Stripe, Slack, Meta,
 *   SendGrid, AWS, Mailgun, Telegram, GitHub, Google and HubSpot tokens, JWTs, PEM private keys,
 *   URL passwords, and long values after a secret-named key (`api_key=`, `"token": "…"`).
 */
import { fromBase64, fromUtf8, toBase64, utf8 } from "../crypto/encoding.ts";

export const REDACTED = "[redacted]";

/** Shorter secret values are not searched for: they would match ordinary text. */
export const MIN_SECRET_LENGTH = 6;

/** Credential shapes, each replaced whole. */
const TOKEN_SHAPES: RegExp[] = [
  // PEM private keys (RFC 7468).
  /-----BEGIN[A-Z ]{0,40}PRIVATE KEY-----[A-Za-z0-9+/=\s:,]{0,16384}(?:-----END[A-Z ]{0,40}PRIVATE KEY-----)?/g,
  // JSON Web Tokens (RFC 7519): base64url header and payload, both JSON objects.
  /\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g,
  // Stripe secret and restricted keys; Standard Webhooks / Svix signing secrets.
  /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{8,}/g,
  /\bwhsec_[A-Za-z0-9+/=]{16,}/g,
  // Slack tokens.
  /\bxox[abposre]-[A-Za-z0-9-]{8,}/g,
  // Meta (Facebook, Instagram, WhatsApp) access tokens.
  /\bEAA[A-Za-z0-9]{20,}/g,
  // SendGrid API keys (SG.<id>.<secret>).
  /\bSG\.[A-Za-z0-9_-]{8,}(?:\.[A-Za-z0-9_-]{8,})?/g,
  // AWS access key ids.
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g,
  // Mailgun keys: legacy `key-` + 32 characters, and the newer hex-hex-hex form.
  /\bkey-[0-9a-zA-Z]{32}\b/g,
  /\b[0-9a-f]{32}-[0-9a-f]{8}-[0-9a-f]{8}\b/g,
  // Telegram bot tokens (also inside `/bot<token>/method` paths).
  /(?<!\d)\d{6,12}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g,
  // Twilio API key sids.
  /\bSK[0-9a-f]{32}\b/g,
  // GitHub tokens.
  /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})/g,
  // Google OAuth access tokens and API keys.
  /\bya29\.[A-Za-z0-9_-]{20,}/g,
  /\bAIza[0-9A-Za-z_-]{35}/g,
  // HubSpot private app tokens.
  /\bpat-[a-z]{2}\d-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g,
];

/** `Bearer <token>`, `Basic <b64>` and the like: the scheme stays, a token-looking credential goes. */
const AUTH_SCHEME_RE = /\b(Bearer|Basic|Token|Bot|OAuth)(\s+)([A-Za-z0-9._~+/-]+=*)/gi;

/** `user:password@` in URLs. */
const URL_PASSWORD_RE =
  /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]{0,30}:\/\/[^\s:@/?#]{1,256}:)([^\s@/?#]{1,256})(@)/gi;

/**
 * A value after a secret-named key, in JSON, query strings, form bodies or plain text:
 * `api_key=…`, `"client_secret": "…"`, `password: …`, `aws_secret_access_key = …`.
 */
const NAMED_VALUE_RE =
  /(?<![A-Za-z0-9_-])([A-Za-z0-9_-]{0,40}?(?:key|token|secret|password|passwd|pwd|signature|credential|authorization))(\\?["']?\s{0,8}[:=]\s{0,8}\\?["']?)([^\s"'&,;<>{}\\]{1,4096})/gi;
const PASSWORD_NAME_RE = /(?:password|passwd|pwd)$/i;
/** Names that end like a secret but are not one (ids, URLs, types, Meta's verify token). */
const NOT_SECRET_NAME_RE =
  /(?:^|[_-])(?:verify_?token|token_type|key_id|keyid)$|^(?:sort_?key|primary_?key)$/i;

const credentialLooking = (s: string) => s.length >= 20 || (s.length >= 8 && /\d/.test(s));

/** Removes credential shapes (whoever they belong to) from text. */
export function redactTokens(text: string): string {
  if (!text) return text;
  let out = text;
  for (const re of TOKEN_SHAPES) out = out.replace(re, REDACTED);
  out = out.replace(AUTH_SCHEME_RE, (all, scheme: string, space: string, cred: string) =>
    cred !== REDACTED && credentialLooking(cred) ? `${scheme}${space}${REDACTED}` : all,
  );
  out = out.replace(
    URL_PASSWORD_RE,
    (_all, head: string, _pw: string, at: string) => `${head}${REDACTED}${at}`,
  );
  out = out.replace(NAMED_VALUE_RE, (all, name: string, sep: string, value: string) => {
    if (value === REDACTED || value.startsWith("[redacted") || NOT_SECRET_NAME_RE.test(name)) return all;
    const secretish = PASSWORD_NAME_RE.test(name) ? value.length > 0 : value.length >= 16;
    return secretish ? `${name}${sep}${REDACTED}` : all;
  });
  return out;
}

/** Whole base64 runs long enough to hold `user:secret` and short enough to be a credential. */
const BASE64_RUN_RE = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{12,4096}={0,2}(?![A-Za-z0-9+/_=-])/g;

function decodesToSecret(run: string, secrets: string[]): boolean {
  const bare = run.replace(/=+$/, "");
  if (bare.length % 4 === 1) return false;
  let decoded: string;
  try {
    decoded = fromUtf8(fromBase64(bare));
  } catch {
    return false;
  }
  return secrets.some((s) => decoded.includes(s));
}

/** The forms a secret value can take in provider text. */
function variants(secret: string): string[] {
  const b64 = toBase64(utf8(secret));
  const forms = [
    secret,
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, "+"),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(secret).slice(1, -1).replace(/\//g, "\\/"),
    b64,
    b64.replace(/=+$/, ""),
    b64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, ""),
  ];
  // Longest first, so a form that contains another is removed whole.
  return [...new Set(forms)].sort((a, b) => b.length - a.length);
}

export interface RedactOptions {
  /** Also remove credential shapes that are not the integration's (default true). */
  shapes?: boolean;
}

/**
 * Removes the given secret values (in their usual encodings) and, unless `shapes` is false,
 * credential shapes from a text.
 */
export function redactText(text: string, secrets: Iterable<string> = [], opts: RedactOptions = {}): string {
  if (!text) return text;
  const values = [
    ...new Set([...secrets].filter((s) => typeof s === "string" && s.length >= MIN_SECRET_LENGTH)),
  ];
  let out = text;
  if (values.length) {
    for (const form of values.flatMap(variants).sort((a, b) => b.length - a.length)) {
      if (out.includes(form)) out = out.split(form).join(REDACTED);
    }
    out = out.replace(BASE64_RUN_RE, (run) => (decodesToSecret(run, values) ? REDACTED : run));
  }
  return opts.shapes === false ? out : redactTokens(out);
}

/** The secret values of an integration's decrypted secrets (what `redactText` takes). */
export const secretValues = (secrets: Record<string, string> | undefined): string[] =>
  Object.values(secrets ?? {}).flatMap((v) => {
    if (typeof v !== "string") return [];
    // A setting holding several secrets (rotation: "whsec_a whsec_b") is also searched per part.
    const parts = v.split(/[\s,]+/).filter((p) => p.length >= MIN_SECRET_LENGTH);
    return parts.length > 1 ? [v, ...parts] : [v];
  });

/** Deep copy of a JSON value with every string passed through `redactText`. */
export function redactDeep<T>(value: T, secrets: Iterable<string> = [], depth = 0): T {
  if (typeof value === "string") return redactText(value, secrets) as T;
  if (depth > 32 || value === null || typeof value !== "object") return value;
  const list = [...secrets];
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, list, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, list, depth + 1);
  return out as T;
}
