CREATE TABLE `locations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`source_name` text NOT NULL,
	`type` text NOT NULL,
	`parent_id` text,
	`address_line` text,
	`address_complement` text,
	`lieu_dit` text,
	`postcode` text NOT NULL,
	`commune` text NOT NULL,
	`insee_code` text NOT NULL,
	`department` text NOT NULL,
	`latitude` real NOT NULL,
	`longitude` real NOT NULL,
	`geocode_precision` text,
	`phone` text,
	`time_zone` text NOT NULL,
	`services` text NOT NULL,
	`step_free_access` integer,
	`status` text DEFAULT 'active' NOT NULL,
	`closed_at` text,
	`source` text NOT NULL,
	`source_hash` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE INDEX `locations_department_idx` ON `locations` (`department`,`id`);--> statement-breakpoint
CREATE INDEX `locations_postcode_idx` ON `locations` (`postcode`,`id`);--> statement-breakpoint
CREATE INDEX `locations_insee_idx` ON `locations` (`insee_code`,`id`);--> statement-breakpoint
CREATE INDEX `locations_type_idx` ON `locations` (`type`,`id`);--> statement-breakpoint
CREATE INDEX `locations_parent_idx` ON `locations` (`parent_id`);--> statement-breakpoint
CREATE INDEX `locations_source_idx` ON `locations` (`source`,`status`);