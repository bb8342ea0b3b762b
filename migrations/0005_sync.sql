CREATE TABLE `rate_budgets` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL,
	`previous_count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `record_pushes` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`integration_id` text NOT NULL,
	`entity` text NOT NULL,
	`idempotency_key` text,
	`request_hash` text NOT NULL,
	`operation` text NOT NULL,
	`external_id` text,
	`data` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`lease_until` integer,
	`record_id` text,
	`error` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`completed_at` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `record_pushes_idempotency_uq` ON `record_pushes` (`integration_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `record_pushes_org_integration_idx` ON `record_pushes` (`org_id`,`integration_id`,`id`);--> statement-breakpoint
CREATE TABLE `sync_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`integration_id` text NOT NULL,
	`provider` text NOT NULL,
	`entity` text NOT NULL,
	`direction` text NOT NULL,
	`trigger` text NOT NULL,
	`mode` text NOT NULL,
	`status` text NOT NULL,
	`since` text,
	`cursor` text,
	`watermark` text,
	`pages_done` integer DEFAULT 0 NOT NULL,
	`records_synced` integer DEFAULT 0 NOT NULL,
	`records_failed` integer DEFAULT 0 NOT NULL,
	`records_deleted` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`lease_until` integer,
	`resume_at` integer,
	`error_message` text,
	`failures` text,
	`started_at` text,
	`completed_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sync_jobs_org_integration_idx` ON `sync_jobs` (`org_id`,`integration_id`,`id`);--> statement-breakpoint
CREATE INDEX `sync_jobs_integration_entity_idx` ON `sync_jobs` (`integration_id`,`entity`,`status`);--> statement-breakpoint
CREATE INDEX `sync_jobs_status_idx` ON `sync_jobs` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `sync_state` (
	`integration_id` text NOT NULL,
	`entity` text NOT NULL,
	`org_id` text NOT NULL,
	`watermark` text,
	`last_full_at` text,
	`last_job_id` text,
	`interval_minutes` integer,
	`next_run_at` integer,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`integration_id`, `entity`),
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `sync_state_next_run_idx` ON `sync_state` (`next_run_at`);--> statement-breakpoint
ALTER TABLE `records` ADD `seen_job` text;