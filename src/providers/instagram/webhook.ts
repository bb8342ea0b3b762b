/**
 * Instagram messaging webhooks: Meta's scheme (facebook/webhook.ts, providers.md §1c), with
 * Direct messages in `entry[].messaging[]` and `entry[].id` naming the Instagram account.
 */
import { metaWebhook } from "../facebook/webhook.ts";

export const webhook = metaWebhook({ channel: "instagram", routingField: "instagram_scoped_id" });
