CREATE TABLE `sync_seen` (
	`job_id` text NOT NULL,
	`page` integer NOT NULL,
	`org_id` text NOT NULL,
	`external_ids` text NOT NULL,
	PRIMARY KEY(`job_id`, `page`),
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `records` ADD `data_hash` text;--> statement-breakpoint
ALTER TABLE `records` DROP COLUMN `seen_job`;