CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`integration_id` text NOT NULL,
	`provider` text NOT NULL,
	`channel` text NOT NULL,
	`to` text NOT NULL,
	`content` text NOT NULL,
	`status` text NOT NULL,
	`sandbox` integer DEFAULT false NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`lease_until` integer,
	`provider_message_id` text,
	`last_error` text,
	`idempotency_key` text,
	`request_hash` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
	`sent_at` text,
	`delivered_at` text,
	`next_attempt_at` text,
	FOREIGN KEY (`org_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `messages_org_idx` ON `messages` (`org_id`,`id`);--> statement-breakpoint
CREATE INDEX `messages_org_status_idx` ON `messages` (`org_id`,`status`,`id`);--> statement-breakpoint
CREATE INDEX `messages_provider_message_idx` ON `messages` (`provider`,`provider_message_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `messages_org_idempotency_uq` ON `messages` (`org_id`,`idempotency_key`);--> statement-breakpoint
CREATE TABLE `rate_limits` (
	`key` text PRIMARY KEY NOT NULL,
	`window_start` integer NOT NULL,
	`count` integer NOT NULL
);
