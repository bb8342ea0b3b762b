ALTER TABLE `record_pushes` ADD `next_attempt_at` text;--> statement-breakpoint
ALTER TABLE `webhook_events` ADD `next_attempt_at` text;