/**
 * Every provider module, keyed by its id, in catalog order (grouped by category). A new
 * provider is its folder plus its import here and its entry in `PROVIDER_MODULES` where it is
 * to be listed; the registry derives the ids, the catalog and its lookups from this object.
 */
import { provider as autocount } from "./autocount/index.ts";
import { provider as aws_ses } from "./aws_ses/index.ts";
import { provider as aws_sns } from "./aws_sns/index.ts";
import { provider as facebook } from "./facebook/index.ts";
import { provider as google_calendar } from "./google_calendar/index.ts";
import { provider as hubspot } from "./hubspot/index.ts";
import { provider as instagram } from "./instagram/index.ts";
import { provider as mailchimp } from "./mailchimp/index.ts";
import { provider as mailgun } from "./mailgun/index.ts";
import { provider as odoo_crm } from "./odoo_crm/index.ts";
import { provider as other } from "./other/index.ts";
import { provider as plivo } from "./plivo/index.ts";
import { provider as quickbooks } from "./quickbooks/index.ts";
import { provider as salesforce } from "./salesforce/index.ts";
import { provider as sendgrid } from "./sendgrid/index.ts";
import { provider as signup_page } from "./signup_page/index.ts";
import { provider as smtp } from "./smtp/index.ts";
import { provider as sql_accounting } from "./sql_accounting/index.ts";
import { provider as telegram } from "./telegram/index.ts";
import { provider as twilio } from "./twilio/index.ts";
import { provider as twilio_whatsapp } from "./twilio_whatsapp/index.ts";
import { provider as vonage } from "./vonage/index.ts";
import { provider as whatsapp } from "./whatsapp/index.ts";
import { provider as xero } from "./xero/index.ts";

/**
 * The provider modules by id. The entries' order is the catalog's: the API lists providers in
 * it, so it is kept in an object literal (a module namespace would list them alphabetically).
 */
export const PROVIDER_MODULES = {
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
