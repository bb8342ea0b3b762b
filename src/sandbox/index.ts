/**
 * The provider simulator (off unless SANDBOX_ENABLED): one simulated API per provider, mounted
 * at /sandbox/<provider id>, plus /sandbox/_inbox listing what it accepted. Nothing outside this
 * folder knows it exists; the composition root points providers' base URL here and routes
 * their requests to it in-process.
 */
import { Hono } from "hono";
import type { ProviderId } from "../providers/registry.ts";
import { datasetControl } from "./dataset.ts";
import { inboxEntries } from "./lib.ts";
import { oauthControl, oauthServer } from "./oauth/server.ts";
import type { SimulatedOAuth } from "./oauth/types.ts";
import * as simulated from "./providers/all.ts";
import { facebookOAuth } from "./providers/facebook.ts";
import { googleCalendarOAuth } from "./providers/google_calendar.ts";
import { hubspotOAuth } from "./providers/hubspot.ts";
import { instagramOAuth } from "./providers/instagram.ts";
import { quickbooksOAuth } from "./providers/quickbooks.ts";
import { salesforceOAuth } from "./providers/salesforce.ts";
import { xeroOAuth } from "./providers/xero.ts";
import { receiver } from "./receiver.ts";
import { type HubFetch, webhookFirer } from "./webhooks/index.ts";

type Simulator = Hono<{ Bindings: Env }>;

/**
 * Every provider's simulated API by id (src/sandbox/providers/all.ts): a provider without one,
 * or one exported under a name that is not a provider id, does not compile.
 */
const simulators: Record<ProviderId, Simulator> & Record<Exclude<keyof typeof simulated, ProviderId>, never> =
  simulated;

/** The simulated authorization servers: each provider's declaration, mounted at its prefix. */
const authorizationServers: SimulatedOAuth[] = [
  hubspotOAuth,
  salesforceOAuth,
  googleCalendarOAuth,
  quickbooksOAuth,
  xeroOAuth,
  facebookOAuth,
  instagramOAuth,
];

/** @param hub The hub's own fetch, for firing webhooks at it in-process. */
export function createSandboxApp(hub?: HubFetch) {
  const app = new Hono<{ Bindings: Env }>();
  app.get("/_inbox", (c) => c.json({ messages: inboxEntries(c.req.query("provider")) }));
  app.route("/_webhooks", webhookFirer(hub));
  app.route("/_receiver", receiver);
  app.route("/_oauth", oauthControl);
  app.route("/_data", datasetControl);
  for (const oauth of authorizationServers) app.route(`/${oauth.id}`, oauthServer(oauth));
  for (const [id, sim] of Object.entries(simulators)) app.route(`/${id}`, sim);
  app.notFound((c) =>
    c.json({ error: `sandbox: no simulated endpoint for ${c.req.method} ${c.req.path}` }, 404),
  );
  return app;
}
