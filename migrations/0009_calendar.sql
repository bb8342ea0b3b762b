ALTER TABLE `record_pushes` ADD `options` text;--> statement-breakpoint
ALTER TABLE `sync_jobs` ADD `sync_token` text;--> statement-breakpoint
ALTER TABLE `sync_jobs` ADD `next_sync_token` text;--> statement-breakpoint
ALTER TABLE `sync_state` ADD `sync_token` text;