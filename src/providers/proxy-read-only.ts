/**
 * Which proxy calls only read at the provider: each provider module declares them
 * (`Provider.proxyReadOnly`), and a `member` key may make only those through the proxy.
 */
import type { ProxyReadRoute } from "./types.ts";

/**
 * For REST APIs whose reads are GET and whose writes use the other methods: every GET and HEAD
 * (RFC 9110 §9.2.1: safe methods). Declare it only where the provider's reference says so.
 */
export const REST_READS: readonly ProxyReadRoute[] = [{ path: "/**" }];

/** Decodes every level of percent-encoding (the proxy path check allows at most four). */
function decoded(path: string): string {
  let level = path;
  for (let i = 0; i < 4 && /%[0-9a-f]{2}/i.test(level); i++) {
    try {
      level = decodeURIComponent(level);
    } catch {
      return "";
    }
  }
  return level;
}

function pathMatches(pattern: string, path: string): boolean {
  const want = pattern.split("/").slice(1);
  const got = path.split("/").slice(1);
  for (let i = 0; i < want.length; i++) {
    const w = want[i];
    if (w === "**" && i === want.length - 1) return true;
    const g = got[i];
    if (g === undefined) return false;
    if (w === "*" ? g === "" : w !== g) return false;
  }
  return got.length === want.length;
}

function queryMatches(route: ProxyReadRoute, search: string): boolean {
  const params = [...new URLSearchParams(search)];
  const forbidden = new Set((route.forbidQuery ?? []).map((n) => n.toLowerCase()));
  if (params.some(([name]) => forbidden.has(name.toLowerCase()))) return false;
  for (const [name, re] of Object.entries(route.query ?? {})) {
    const values = params.filter(([n]) => n.toLowerCase() === name.toLowerCase()).map(([, v]) => v);
    if (values.length !== 1 || !re.test(values[0] as string)) return false;
  }
  return true;
}

/**
 * True when a proxy call (method, checked path, `?query`) is one of the provider's declared
 * read-only calls. The path is compared percent-decoded, so an encoded `/` inside a segment
 * never lets a call pass as another.
 */
export function isReadOnlyProxyCall(
  routes: readonly ProxyReadRoute[] | undefined,
  method: string,
  path: string,
  search: string,
): boolean {
  const m = method.toUpperCase();
  if (m !== "GET" && m !== "HEAD") return false;
  const p = decoded(path);
  if (!p.startsWith("/")) return false;
  return (routes ?? []).some(
    (r) =>
      (r.methods ?? ["GET", "HEAD"]).includes(m as "GET" | "HEAD") &&
      pathMatches(r.path, p) &&
      queryMatches(r, search),
  );
}
