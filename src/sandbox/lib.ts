/**
 * Shared pieces of the provider simulator: the test-mode credential rule, scenario triggers for
 * failures, and the inbox of what it accepted.
 *
 * - Like a provider's test mode, any well-formed credential is valid except one that contains
 *   the word `invalid`, which is rejected the way the real provider rejects a bad credential.
 * - A message whose text (or subject, or recipient) contains a trigger fails on purpose:
 *   `[sandbox:429]` (429 with Retry-After: 1), `[sandbox:503]`, `[sandbox:500]`,
 *   `[sandbox:400]` (a permanent rejection), `[sandbox:timeout]` (no answer for 30 s);
 *   `[sandbox:503x2]` fails the first two attempts of that message and then succeeds.
 */
import { Hono } from "hono";

export const isInvalidCredential = (value: string | null | undefined): boolean =>
  !value || /invalid/i.test(value);

export type Failure = "429" | "503" | "500" | "400" | "timeout";

const attempts = new Map<string, number>();
const TRIGGER_RE = /\[sandbox:(429|503|500|400|timeout)(?:x(\d+))?\]/;

/**
 * The failure a message asks for on this attempt, if any. `key` identifies the message across
 * retries (provider + recipient + content).
 */
export function scenario(provider: string, ...parts: (string | undefined | null)[]): Failure | null {
  const haystack = parts.filter(Boolean).join("\n");
  const m = haystack.match(TRIGGER_RE);
  if (!m) return null;
  const failure = m[1] as Failure;
  if (!m[2]) return failure;
  const key = `${provider}\n${haystack}`;
  const n = (attempts.get(key) ?? 0) + 1;
  attempts.set(key, n);
  return n <= Number(m[2]) ? failure : null;
}

/** Waits long enough for any client timeout to fire first. */
export const hang = () => new Promise<void>((resolve) => setTimeout(resolve, 30_000));

export interface InboxEntry {
  id: string;
  provider: string;
  kind: string;
  to: string;
  body: Record<string, unknown>;
  at: string;
}

const inbox: InboxEntry[] = [];
const INBOX_MAX = 1000;
let seq = 0;

/** Records an accepted send; returns the provider-style id the simulator answers with. */
export function deliver(
  provider: string,
  kind: string,
  to: string,
  body: Record<string, unknown>,
  id?: string,
) {
  const entry = {
    id: id ?? `sbx_${provider}_${++seq}`,
    provider,
    kind,
    to,
    body,
    at: new Date().toISOString(),
  };
  inbox.push(entry);
  if (inbox.length > INBOX_MAX) inbox.shift();
  return entry;
}

export const inboxEntries = (provider?: string): InboxEntry[] =>
  provider ? inbox.filter((e) => e.provider === provider) : [...inbox];

/** A sub-app for one simulated provider. */
export const simulator = () => new Hono<{ Bindings: Env }>();

/** The user and password of an `Authorization: Basic` header, or null when there is none. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | null {
  const m = header?.match(/^Basic\s+([A-Za-z0-9+/=]+)$/i);
  if (!m?.[1]) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder().decode(Uint8Array.from(atob(m[1]), (ch) => ch.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(":");
  return colon < 0 ? null : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface RequestBody {
  /** How the body was encoded, from its Content-Type. */
  encoding: "json" | "form" | "other";
  params: Record<string, unknown>;
}

/** The body's parameters as its Content-Type says; null for a JSON body that does not parse. */
export async function readBody(req: Request): Promise<RequestBody | null> {
  const type = req.headers.get("content-type") ?? "";
  if (/^application\/json/i.test(type)) {
    try {
      const data: unknown = await req.json();
      return data && typeof data === "object" && !Array.isArray(data)
        ? { encoding: "json", params: data as Record<string, unknown> }
        : null;
    } catch {
      return null;
    }
  }
  if (/^application\/x-www-form-urlencoded/i.test(type)) {
    // Decoded from bytes: workerd warns when .text() reads a form-encoded body.
    const text = new TextDecoder().decode(await req.arrayBuffer());
    return { encoding: "form", params: Object.fromEntries(new URLSearchParams(text)) };
  }
  return { encoding: "other", params: {} };
}
