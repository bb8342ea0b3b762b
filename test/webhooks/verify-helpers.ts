/**
 * What the webhook verifier tests build their inputs from: a webhook request from parts or from a
 * Request a sandbox sender built, a verifier's context at a given time, and a JSON body written
 * out again with other whitespace (a signature over the bytes must then fail).
 */
import { utf8 } from "../../src/crypto/encoding.ts";
import type { WebhookContext, WebhookRequest } from "../../src/providers/webhooks.ts";

export function request(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body = "",
): WebhookRequest {
  return { method, url, headers: new Headers(headers), body: utf8(body) };
}

export async function fromRequest(req: Request): Promise<WebhookRequest> {
  return {
    method: req.method,
    url: req.url,
    headers: req.headers,
    body: new Uint8Array(await req.arrayBuffer()),
  };
}

export const webhookContext = (
  secrets: Record<string, string>,
  now: number,
  config: Record<string, unknown> = {},
): WebhookContext => ({
  config,
  secrets,
  defaults: {},
  now,
});

export const reserialized = (body: string) => JSON.stringify(JSON.parse(body), null, 2);
