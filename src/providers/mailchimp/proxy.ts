/**
 * API proxy: Mandrill (Mailchimp Transactional) takes the API key inside the JSON body, so the
 * proxy sets `key` in the caller's JSON object body (every Mandrill call is a POST of one).
 * Any other body cannot carry the key and is refused.
 */
import { bodyOf } from "../proxy-auth.ts";
import { type ProviderContext, ProviderError, secret } from "../runtime.ts";

export async function authorize(ctx: ProviderContext, request: Request): Promise<Request> {
  const raw = await bodyOf(request);
  let body: unknown = {};
  if (raw) {
    try {
      body = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      body = undefined;
    }
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw new ProviderError("permanent", "Mailchimp Transactional calls need a JSON object body");
  }
  const headers = new Headers(request.headers);
  headers.set("content-type", "application/json");
  return new Request(request.url, {
    method: request.method === "GET" || request.method === "HEAD" ? "POST" : request.method,
    headers,
    body: JSON.stringify({ ...body, key: secret(ctx, "api_key") }),
  });
}
