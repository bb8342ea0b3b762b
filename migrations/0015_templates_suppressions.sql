CREATE TABLE `message_template_versions` (
	`template_id` text NOT NULL,
	`version` integer NOT NULL,
	`org_id` text NOT NULL,
	`subject` text,
	`text` text,
	`html` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`template_id`) REFERENCES `message_templates`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_template_versions_uq` ON `message_template_versions` (`template_id`,`version`);--> statement-breakpoint
CREATE TABLE `message_templates` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`channel` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`subject` text,
	`text` text,
	`html` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `message_templates_org_name_uq` ON `message_templates` (`org_id`,`name`);--> statement-breakpoint
CREATE INDEX `message_templates_org_idx` ON `message_templates` (`org_id`,`id`);--> statement-breakpoint
CREATE TABLE `suppressions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`channel` text NOT NULL,
	`address` text NOT NULL,
	`reason` text NOT NULL,
	`source` text,
	`note` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `suppressions_org_channel_address_uq` ON `suppressions` (`org_id`,`channel`,`address`);--> statement-breakpoint
CREATE INDEX `suppressions_org_idx` ON `suppressions` (`org_id`,`id`);