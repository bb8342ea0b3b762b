CREATE TABLE `dead_letters` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`kind` text NOT NULL,
	`ref_id` text NOT NULL,
	`cause` text NOT NULL,
	`reason` text NOT NULL,
	`attempts` integer NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `dead_letters_org_idx` ON `dead_letters` (`org_id`,`id`);--> statement-breakpoint
CREATE INDEX `dead_letters_ref_idx` ON `dead_letters` (`org_id`,`ref_id`);--> statement-breakpoint
CREATE TABLE `job_counters` (
	`org_id` text NOT NULL,
	`kind` text NOT NULL,
	`outcome` text NOT NULL,
	`count` integer DEFAULT 0 NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	PRIMARY KEY(`org_id`, `kind`, `outcome`)
);
