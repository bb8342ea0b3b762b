/**
 * Absolute http(s) URLs that are safe to store and to put in a header, an attribute or a script:
 * no control characters, whitespace, line or paragraph separators, quotes or angle brackets,
 * which the WHATWG URL parser would silently drop or encode while the raw text stays as sent.
 */

/** Characters a stored URL may not contain (C0/C1 controls, space, U+2028/9, `"`, `<`, `>`). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const UNSAFE_RE = /[\u0000-\u0020\u007f-\u009f\u2028\u2029"<>]/;

/** `raw` without leading and trailing spaces (only U+0020: a CR or LF anywhere is refused). */
export const trimSpaces = (raw: string): string => raw.replace(/^ +| +$/g, "");

/** Why `raw` is not a safe absolute http(s) URL, or null when it is (leading/trailing spaces aside). */
export function httpUrlProblem(raw: string): string | null {
  const s = trimSpaces(raw);
  if (UNSAFE_RE.test(s)) return "must be an http(s) URL without spaces, control characters, quotes or < >";
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return "must be an absolute http(s) URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "must be an http(s) URL";
  if (!url.hostname) return "must be an absolute http(s) URL";
  return null;
}

/** `value` trimmed when it is a safe absolute http(s) URL, else null (for values read back from storage). */
export function safeHttpUrl(value: unknown): string | null {
  if (typeof value !== "string" || !trimSpaces(value)) return null;
  return httpUrlProblem(value) ? null : trimSpaces(value);
}
