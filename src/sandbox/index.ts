/**
 * The provider simulator (off unless SANDBOX_ENABLED): one simulated API per provider, mounted
 * at /sandbox/<provider id>, plus /sandbox/_inbox listing what it accepted and /sandbox/_callbacks
 * sending the delivery receipts it owes. Nothing outside this
 * folder knows it exists; the composition root points providers' base URL here and routes
 * their requests to it in-process.
 */
import { Hono } from "hono";
import { PROVIDER_IDS, type ProviderId } from "../providers/registry.ts";
import { callbackControl } from "./callbacks.ts";
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
 * The providers' simulated APIs by id (src/sandbox/providers/all.ts). A simulator is optional: a
 * provider without one is answered 501, naming it, when the sandbox is asked for it. One exported
 * under a name that is not a provider id does not compile.
 */
export const SIMULATORS: Partial<Record<ProviderId, Simulator>> &
  Record<Exclude<keyof typeof simulated, ProviderId>, never> = simulated;

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

/**
 * @param hub The hub's own fetch, for firing webhooks at it in-process.
 * @param simulators The simulated APIs to mount (all of them, but for a test).
 */
export function createSandboxApp(
  hub?: HubFetch,
  simulators: Partial<Record<ProviderId, Simulator>> = SIMULATORS,
) {
  const app = new Hono<{ Bindings: Env }>();
  app.get("/_inbox", (c) => c.json({ messages: inboxEntries(c.req.query("provider")) }));
  app.route("/_webhooks", webhookFirer(hub));
  app.route("/_callbacks", callbackControl(hub));
  app.route("/_receiver", receiver);
  app.route("/_oauth", oauthControl);
  app.route("/_data", datasetControl);
  for (const oauth of authorizationServers) app.route(`/${oauth.id}`, oauthServer(oauth));
  for (const id of PROVIDER_IDS) {
    const sim = simulators[id];
    if (sim) app.route(`/${id}`, sim);
    else
      app.all(`/${id}/*`, (c) =>
        c.json(
          {
            error: `sandbox: ${id} has no simulator, so its calls cannot be answered here; turn SANDBOX_ENABLED off to reach its real API`,
          },
          501,
        ),
      );
  }
  app.notFound((c) =>
    c.json({ error: `sandbox: no simulated endpoint for ${c.req.method} ${c.req.path}` }, 404),
  );
  return app;
}
