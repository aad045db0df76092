CREATE TABLE `affluence_alerts` (
	`customer_id` text NOT NULL,
	`location_id` text NOT NULL,
	`armed` integer DEFAULT true NOT NULL,
	`low_since` integer,
	`last_sent_date` text,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`customer_id`, `location_id`),
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `affluence_alerts_location_idx` ON `affluence_alerts` (`location_id`);--> statement-breakpoint
CREATE TABLE `affluence_counts` (
	`location_id` text NOT NULL,
	`period` integer NOT NULL,
	`counts` blob NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`location_id`, `period`)
);
--> statement-breakpoint
CREATE TABLE `visit_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`location_id` text NOT NULL,
	`service_date` text NOT NULL,
	`ticket` text NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL,
	`source` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `visit_events_ticket_idx` ON `visit_events` (`location_id`,`service_date`,`ticket`,`kind`);--> statement-breakpoint
CREATE INDEX `visit_events_location_at_idx` ON `visit_events` (`location_id`,`at`);--> statement-breakpoint
CREATE TABLE `visit_requests` (
	`digest` text PRIMARY KEY NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `visit_requests_received_idx` ON `visit_requests` (`received_at`);--> statement-breakpoint
CREATE TABLE `visit_sources` (
	`id` text PRIMARY KEY NOT NULL,
	`location_id` text NOT NULL,
	`name` text NOT NULL,
	`generation` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
