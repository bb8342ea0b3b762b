/**
 * Every provider's simulated API, exported under its provider id: the sandbox mounts each at
 * /sandbox/<id>. A new simulator is its file in this folder plus its line here.
 */
export { autocount } from "./autocount.ts";
export { aws_ses } from "./aws_ses.ts";
export { aws_sns } from "./aws_sns.ts";
export { facebook } from "./facebook.ts";
export { google_calendar } from "./google_calendar.ts";
export { hubspot } from "./hubspot.ts";
export { instagram } from "./instagram.ts";
export { mailchimp } from "./mailchimp.ts";
export { mailgun } from "./mailgun.ts";
export { odoo_crm } from "./odoo_crm.ts";
export { other } from "./other.ts";
export { plivo } from "./plivo.ts";
export { quickbooks } from "./quickbooks.ts";
export { salesforce } from "./salesforce.ts";
export { sendgrid } from "./sendgrid.ts";
export { signup_page } from "./signup_page.ts";
export { smtp } from "./smtp.ts";
export { sql_accounting } from "./sql_accounting.ts";
export { telegram } from "./telegram.ts";
export { twilio } from "./twilio.ts";
export { twilio_whatsapp } from "./twilio_whatsapp.ts";
export { vonage } from "./vonage.ts";
export { whatsapp } from "./whatsapp.ts";
export { xero } from "./xero.ts";
