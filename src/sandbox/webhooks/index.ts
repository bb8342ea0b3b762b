/**
 * `POST /sandbox/_webhooks/{provider}` fires a webhook the way the provider would: a realistic
 * payload, signed exactly as the provider signs (or broken on purpose with `fault`), posted to
 * a Switchboard webhook URL of this deployment. The answer shows what was sent and how the hub
 * answered, so a user can watch events flow in `npm run dev`.
 */
import { type Context, Hono } from "hono";
import { z } from "zod";
import type { ProviderId } from "../../providers/registry.ts";
import * as senders from "./all.ts";
import { WEBHOOK_FAULTS, type WebhookSender } from "./sender.ts";

/**
 * A sender for every provider whose webhooks the hub verifies (src/sandbox/webhooks/all.ts); one
 * exported under a name that is not a provider id does not compile.
 */
export const WEBHOOK_SENDERS: Partial<Record<ProviderId, WebhookSender>> &
  Record<Exclude<keyof typeof senders, ProviderId>, never> = senders;

/** How the sandbox reaches the hub in-process. */
export type HubFetch = (req: Request, env: Env, ctx: Context["executionCtx"]) => Promise<Response> | Response;

/** Whether `url` is on this deployment's origin (the request's, or PUBLIC_URL's). */
export function isOwnUrl(c: Context<{ Bindings: Env }>, url: string): boolean {
  let origin: string;
  try {
    origin = new URL(url).origin;
  } catch {
    return false;
  }
  return (
    origin === new URL(c.req.url).origin ||
    (!!c.env.PUBLIC_URL && origin === new URL(c.env.PUBLIC_URL).origin)
  );
}

const FireBody = z.object({
  url: z.url(),
  secrets: z.record(z.string(), z.string()).default({}),
  config: z.record(z.string(), z.unknown()).default({}),
  event: z.string().optional(),
  fault: z.enum(WEBHOOK_FAULTS).optional(),
  data: z.record(z.string(), z.string()).optional(),
});

export function webhookFirer(hub?: HubFetch) {
  const app = new Hono<{ Bindings: Env }>();
  app.post("/:provider", async (c) => {
    const provider = c.req.param("provider");
    const sender = WEBHOOK_SENDERS[provider as ProviderId];
    if (!sender) return c.json({ error: `sandbox: no webhook sender for ${provider}` }, 404);
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      return c.json({ error: "sandbox: the body must be JSON" }, 400);
    }
    const parsed = FireBody.safeParse(raw);
    if (!parsed.success)
      return c.json(
        {
          error: "sandbox: invalid fire request",
          issues: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`),
        },
        400,
      );
    const body = parsed.data;
    if (body.event !== undefined && !sender.events.includes(body.event))
      return c.json({ error: `sandbox: ${provider} fires ${sender.events.join(", ")}` }, 400);
    // Only this deployment's own URLs: the sandbox is not a proxy to anywhere else.
    if (!isOwnUrl(c, body.url) || !hub)
      return c.json({ error: "sandbox: webhooks are fired at this deployment's own URLs only" }, 400);
    const req = await sender.build({ ...body, event: body.event ?? sender.events[0] });
    const sent = { method: req.method, url: req.url, headers: Object.fromEntries(req.headers) };
    const res = await hub(req, c.env, c.executionCtx);
    const text = await res.text();
    let answer: unknown = text;
    try {
      answer = JSON.parse(text);
    } catch {
      // not JSON: shown as text
    }
    return c.json({ sent, response: { status: res.status, body: answer } });
  });
  return app;
}
