/** How an organization's event endpoints, events, deliveries and attempts are shown. */
import type { EventAttemptRow, EventEndpointRow, EventRow } from "../../db/schema.ts";
import type { DeliveryWithEvent } from "../events/log.ts";

/** An event endpoint, without its secret. */
export function endpointView(e: EventEndpointRow) {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    event_types: e.eventTypes,
    status: e.status,
    disabled_reason: e.disabledReason,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
  };
}

/** An event as the organization reads it. */
export function eventView(e: EventRow) {
  return { id: e.id, type: e.type, data: e.payload, created_at: e.createdAt };
}

/** A delivery with its event type and the number of attempts so far. */
export function deliveryView(d: DeliveryWithEvent) {
  return {
    id: d.id,
    event_id: d.eventId,
    event_type: d.eventType,
    endpoint_id: d.endpointId,
    status: d.status,
    attempts: d.attemptCount,
    next_attempt_at: d.nextAttemptAt,
    last_status_code: d.lastStatusCode,
    last_error: d.lastError,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
    delivered_at: d.deliveredAt,
  };
}

/** One attempt of a delivery, with the start of the endpoint's answer. */
export function attemptView(a: EventAttemptRow) {
  return {
    id: a.id,
    attempt: a.attempt,
    status_code: a.statusCode,
    latency_ms: a.latencyMs,
    error: a.error,
    response_body: a.responseBody,
    created_at: a.createdAt,
  };
}
