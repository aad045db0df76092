CREATE TABLE `bookings` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`location_id` text NOT NULL,
	`offer_id` text NOT NULL,
	`kind` text NOT NULL,
	`starts_at` integer NOT NULL,
	`ends_at` integer NOT NULL,
	`status` text DEFAULT 'held' NOT NULL,
	`hold_expires_at` integer NOT NULL,
	`request_key` text NOT NULL,
	`parcels` integer,
	`created_at` integer NOT NULL,
	`confirmed_at` integer,
	`cancelled_at` integer,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`offer_id`) REFERENCES `office_offers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bookings_request_idx` ON `bookings` (`customer_id`,`request_key`);--> statement-breakpoint
CREATE INDEX `bookings_offer_start_idx` ON `bookings` (`offer_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `bookings_location_start_idx` ON `bookings` (`location_id`,`starts_at`);--> statement-breakpoint
CREATE INDEX `bookings_customer_start_idx` ON `bookings` (`customer_id`,`starts_at`);--> statement-breakpoint
CREATE TABLE `office_offer_sheets` (
	`location_id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`claim` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `office_offers` (
	`id` text PRIMARY KEY NOT NULL,
	`location_id` text NOT NULL,
	`kind` text NOT NULL,
	`label` text NOT NULL,
	`duration_minutes` integer NOT NULL,
	`capacity` integer NOT NULL,
	`active` integer DEFAULT true NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `office_offers_location_idx` ON `office_offers` (`location_id`,`active`);--> statement-breakpoint
CREATE TABLE `pro_profiles` (
	`customer_id` text PRIMARY KEY NOT NULL,
	`siret` text NOT NULL,
	`company` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
