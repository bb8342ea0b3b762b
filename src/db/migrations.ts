/** The migrations this build expects applied (a test checks it against migrations/). */
export const EXPECTED_MIGRATIONS = [
  "0000_init.sql",
  "0001_unique_integration_name.sql",
  "0002_messages.sql",
  "0003_webhooks_events.sql",
  "0004_oauth.sql",
  "0005_sync.sql",
  "0006_messages_status_idx.sql",
  "0007_jobs.sql",
  "0008_retry_times.sql",
  "0009_calendar.sql",
  "0010_record_hash.sql",
  "0011_retention_idx.sql",
  "0012_last_tested.sql",
  "0013_dashboard_idx.sql",
  "0014_message_events.sql",
  "0015_templates_suppressions.sql",
] as const;
