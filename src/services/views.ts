/**
 * Every presenter in one place: how a stored row is shown in each dialect (REST 002/003/004 and
 * the 001 RPC). Routes call a service and hand its rows to one of these. Secrets never leave.
 */
export { integrationLogView } from "./views/activity.ts";
export { attemptView, deliveryView, endpointView, eventView } from "./views/events.ts";
export { compatView, connectView, restView, type ShownIntegration } from "./views/integrations.ts";
export { deadLetterView } from "./views/jobs.ts";
export { catalogView } from "./views/providers.ts";
export {
  entityStatusView,
  pushView,
  recordView,
  scheduleView,
  syncJobView,
  syncStatusView,
} from "./views/sync.ts";
export { webhookEventView } from "./views/webhooks.ts";
