/**
 * The webhook sender of every provider whose webhooks the hub verifies, exported under its
 * provider id. A new sender is its file in this folder plus its line here.
 */
export { aws_ses } from "./aws_ses.ts";
export { aws_sns } from "./aws_sns.ts";
export { facebook } from "./facebook.ts";
export { google_calendar } from "./google_calendar.ts";
export { hubspot } from "./hubspot.ts";
export { instagram } from "./instagram.ts";
export { mailchimp } from "./mailchimp.ts";
export { mailgun } from "./mailgun.ts";
export { other } from "./other.ts";
export { plivo } from "./plivo.ts";
export { quickbooks } from "./quickbooks.ts";
export { sendgrid } from "./sendgrid.ts";
export { telegram } from "./telegram.ts";
export { twilio } from "./twilio.ts";
export { twilio_whatsapp } from "./twilio_whatsapp.ts";
export { vonage } from "./vonage.ts";
export { whatsapp } from "./whatsapp.ts";
export { xero } from "./xero.ts";
