/** How an integration's activity log entries are shown. */
import type { IntegrationLogRow } from "../../db/schema.ts";

/** One entry of an integration's log. */
export const integrationLogView = (l: IntegrationLogRow) => ({
  id: l.id,
  integration_id: l.integrationId,
  level: l.level,
  action: l.action,
  message: l.message,
  details: l.details ?? null,
  created_at: l.createdAt,
});
