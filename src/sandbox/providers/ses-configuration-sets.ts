/**
 * Simulated SES v2 configuration sets and their event destinations (Create/Get/Delete
 * ConfigurationSet, Create/Get/Update ConfigurationSetEventDestination), remembered per access
 * key and region, with SES's JSON errors (NotFoundException, AlreadyExistsException,
 * BadRequestException). aws_ses.ts mounts the routes with its SigV4 check.
 */
import type { Context } from "hono";
import { simulator } from "../lib.ts";

/** The SigV4 check of the SES simulator: the request's region and key, or SES's refusal. */
export type SesAuth = (
  c: Context,
) => Promise<{ region: string; accessKeyId: string; body: string } | Response>;
export type SesFail = (status: number, code: string, message: string) => Response;

interface Destination {
  Name: string;
  Enabled: boolean;
  MatchingEventTypes: string[];
  SnsDestination?: { TopicArn: string };
}

const sets = new Map<string, Map<string, Destination>>();
const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;
const EVENT_TYPES = new Set([
  "SEND",
  "REJECT",
  "BOUNCE",
  "COMPLAINT",
  "DELIVERY",
  "OPEN",
  "CLICK",
  "RENDERING_FAILURE",
  "DELIVERY_DELAY",
  "SUBSCRIPTION",
]);
const TOPIC_RE = /^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/;

export function configurationSetRoutes(signed: SesAuth, fail: SesFail) {
  const app = simulator();
  const json = (text: string): Record<string, unknown> | null => {
    try {
      const v: unknown = JSON.parse(text);
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };
  const headers = () => ({ "x-amzn-RequestId": crypto.randomUUID() });
  const key = (a: { accessKeyId: string; region: string }, name: string) =>
    `${a.accessKeyId} ${a.region} ${name}`;
  const missing = (name: string) =>
    fail(404, "NotFoundException", `Configuration set <${name}> does not exist.`);
  /** The destination's body, or SES's refusal. */
  function destinationOf(name: string, d: unknown): Destination | Response {
    const o = d && typeof d === "object" ? (d as Record<string, unknown>) : {};
    const types = o.MatchingEventTypes;
    if (!Array.isArray(types) || !types.length || !types.every((t) => EVENT_TYPES.has(String(t))))
      return fail(400, "BadRequestException", "MatchingEventTypes must name one or more event types."); // UNCONFIRMED
    const topic = (o.SnsDestination as Record<string, unknown> | undefined)?.TopicArn;
    if (o.SnsDestination !== undefined && (typeof topic !== "string" || !TOPIC_RE.test(topic)))
      return fail(400, "BadRequestException", "Invalid SNS topic ARN."); // UNCONFIRMED
    return {
      Name: name,
      Enabled: o.Enabled === true,
      MatchingEventTypes: types.map(String),
      ...(typeof topic === "string" ? { SnsDestination: { TopicArn: topic } } : {}),
    };
  }

  app.post("/v2/email/configuration-sets", async (c) => {
    const auth = await signed(c);
    if (auth instanceof Response) return auth;
    const name = json(auth.body)?.ConfigurationSetName;
    if (typeof name !== "string" || !NAME_RE.test(name))
      return fail(400, "BadRequestException", "Invalid configuration set name."); // UNCONFIRMED
    if (sets.has(key(auth, name)))
      return fail(400, "AlreadyExistsException", `Configuration set <${name}> already exists.`);
    sets.set(key(auth, name), new Map());
    return Response.json({}, { headers: headers() });
  });

  app.get("/v2/email/configuration-sets/:name", async (c) => {
    const auth = await signed(c);
    if (auth instanceof Response) return auth;
    const name = c.req.param("name");
    if (!sets.has(key(auth, name))) return missing(name);
    return Response.json(
      { ConfigurationSetName: name, SendingOptions: { SendingEnabled: true } },
      { headers: headers() },
    );
  });

  app.get("/v2/email/configuration-sets/:name/event-destinations", async (c) => {
    const auth = await signed(c);
    if (auth instanceof Response) return auth;
    const name = c.req.param("name");
    const set = sets.get(key(auth, name));
    if (!set) return missing(name);
    return Response.json({ EventDestinations: [...set.values()] }, { headers: headers() });
  });

  app.post("/v2/email/configuration-sets/:name/event-destinations", async (c) => {
    const auth = await signed(c);
    if (auth instanceof Response) return auth;
    const name = c.req.param("name");
    const set = sets.get(key(auth, name));
    if (!set) return missing(name);
    const body = json(auth.body);
    const dest = body?.EventDestinationName;
    if (typeof dest !== "string" || !NAME_RE.test(dest))
      return fail(400, "BadRequestException", "Invalid event destination name."); // UNCONFIRMED
    if (set.has(dest))
      return fail(400, "AlreadyExistsException", `Event destination ${dest} already exists in <${name}>.`);
    const d = destinationOf(dest, body?.EventDestination);
    if (d instanceof Response) return d;
    set.set(dest, d);
    return Response.json({}, { headers: headers() });
  });

  app.put("/v2/email/configuration-sets/:name/event-destinations/:dest", async (c) => {
    const auth = await signed(c);
    if (auth instanceof Response) return auth;
    const name = c.req.param("name");
    const set = sets.get(key(auth, name));
    if (!set) return missing(name);
    const dest = c.req.param("dest");
    if (!set.has(dest))
      return fail(404, "NotFoundException", `Event destination ${dest} does not exist in <${name}>.`);
    const d = destinationOf(dest, json(auth.body)?.EventDestination);
    if (d instanceof Response) return d;
    set.set(dest, d);
    return Response.json({}, { headers: headers() });
  });

  return app;
}
