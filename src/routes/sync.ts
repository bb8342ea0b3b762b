/**
 * Sync and records under /api/integrations: 003's `POST /{provider}/sync/{entity}` and
 * `GET /{provider}/sync-status` (a provider id, or an integration id in place of it), the sync
 * log and schedule of an integration, its records (paginated, `updated_since`) and outward
 * pushes under `Idempotency-Key`. The routes live in ./sync/ (their schemas in ./sync/schema.ts),
 * mounted here in match order.
 */
import { createRouter } from "./openapi.ts";
import { syncJobsApi } from "./sync/jobs.ts";
import { syncProgressApi } from "./sync/progress.ts";
import { syncRecordsApi } from "./sync/records.ts";

export const syncApi = createRouter();

syncApi.route("/", syncJobsApi);
syncApi.route("/", syncRecordsApi);
syncApi.route("/", syncProgressApi);
