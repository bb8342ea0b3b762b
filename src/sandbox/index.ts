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
import { autocount } from "./providers/autocount.ts";
import { aws_ses } from "./providers/aws_ses.ts";
import { aws_sns } from "./providers/aws_sns.ts";
import { facebook, facebookOAuth } from "./providers/facebook.ts";
import { google_calendar, googleCalendarOAuth } from "./providers/google_calendar.ts";
import { hubspot, hubspotOAuth } from "./providers/hubspot.ts";
import { instagram, instagramOAuth } from "./providers/instagram.ts";
import { mailchimp } from "./providers/mailchimp.ts";
import { mailgun } from "./providers/mailgun.ts";
import { odoo_crm } from "./providers/odoo_crm.ts";
import { other } from "./providers/other.ts";
import { plivo } from "./providers/plivo.ts";
import { quickbooks, quickbooksOAuth } from "./providers/quickbooks.ts";
import { salesforce, salesforceOAuth } from "./providers/salesforce.ts";
import { sendgrid } from "./providers/sendgrid.ts";
import { signup_page } from "./providers/signup_page.ts";
import { smtp } from "./providers/smtp.ts";
import { sql_accounting } from "./providers/sql_accounting.ts";
import { telegram } from "./providers/telegram.ts";
import { twilio } from "./providers/twilio.ts";
import { twilio_whatsapp } from "./providers/twilio_whatsapp.ts";
import { vonage } from "./providers/vonage.ts";
import { whatsapp } from "./providers/whatsapp.ts";
import { xero, xeroOAuth } from "./providers/xero.ts";
import { receiver } from "./receiver.ts";
import { type HubFetch, webhookFirer } from "./webhooks/index.ts";

const simulators: Record<ProviderId, Hono<{ Bindings: Env }>> = {
  hubspot,
  salesforce,
  odoo_crm,
  facebook,
  instagram,
  whatsapp,
  twilio_whatsapp,
  sendgrid,
  mailgun,
  aws_ses,
  smtp,
  mailchimp,
  twilio,
  vonage,
  aws_sns,
  plivo,
  telegram,
  google_calendar,
  quickbooks,
  xero,
  sql_accounting,
  autocount,
  signup_page,
  other,
};

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
