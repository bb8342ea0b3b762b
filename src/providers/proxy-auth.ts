/**
 * Helpers the providers' `authorize` functions (the API proxy's credential injection) share:
 * copy a request with extra headers, a rewritten path, or a signed form.
 */
import type { ProviderContext } from "./runtime.ts";

/** The request's body as bytes (undefined when it has none). */
export async function bodyOf(request: Request): Promise<ArrayBuffer | undefined> {
  if (!request.body) return undefined;
  const bytes = await request.arrayBuffer();
  return bytes.byteLength ? bytes : undefined;
}

/** A copy of the request with these headers set (over any the caller sent). */
export async function withHeaders(request: Request, set: Record<string, string>): Promise<Request> {
  const headers = new Headers(request.headers);
  for (const [name, value] of Object.entries(set)) headers.set(name, value);
  return new Request(request.url, { method: request.method, headers, body: await bodyOf(request) });
}

/**
 * A copy of the request with `prefix` inserted between the base URL's path and the caller's path
 * (Telegram's `/bot<token>` segment).
 */
export async function withPathPrefix(
  ctx: ProviderContext,
  request: Request,
  prefix: string,
): Promise<Request> {
  const base = new URL(ctx.baseUrl).pathname.replace(/\/+$/, "");
  const url = new URL(request.url);
  url.pathname = `${base}${prefix}${url.pathname.slice(base.length)}`;
  return new Request(url, { method: request.method, headers: request.headers, body: await bodyOf(request) });
}
