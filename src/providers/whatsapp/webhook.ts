/**
 * WhatsApp Cloud API webhooks: Meta's scheme (facebook/webhook.ts, providers.md §1d), with
 * inbound messages and delivery receipts in `entry[].changes[].value` and `entry[].id` naming
 * the WhatsApp Business Account.
 */
import { metaWebhook } from "../facebook/webhook.ts";

export const webhook = metaWebhook({ channel: "whatsapp", routingField: "business_account_id" });
