CREATE INDEX `event_attempts_created_idx` ON `event_attempts` (`created_at`);--> statement-breakpoint
CREATE INDEX `event_deliveries_status_updated_idx` ON `event_deliveries` (`status`,`updated_at`);--> statement-breakpoint
CREATE INDEX `events_created_idx` ON `events` (`created_at`);--> statement-breakpoint
CREATE INDEX `integration_logs_created_idx` ON `integration_logs` (`created_at`);