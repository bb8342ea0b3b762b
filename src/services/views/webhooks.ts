/** How a stored provider webhook event is shown. */
import type { WebhookEventRow } from "../../db/schema.ts";

/** The stored event as the API shows it (003's `integration_webhooks` fields and more). */
export function webhookEventView(e: WebhookEventRow) {
  return {
    id: e.id,
    organization_id: e.orgId,
    integration_id: e.integrationId,
    provider: e.provider,
    event_type: e.eventType,
    provider_event_id: e.providerEventId,
    payload: e.payload,
    processed: e.status === "processed",
    status: e.status,
    attempts: e.attempts,
    duplicates: e.duplicates,
    result: e.result,
    last_error: e.lastError,
    next_attempt_at: e.nextAttemptAt,
    received_at: e.receivedAt,
    processed_at: e.processedAt,
  };
}
