CREATE TABLE `carrier_requests` (
	`signature_digest` text PRIMARY KEY NOT NULL,
	`carrier_id` text NOT NULL,
	`received_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `carrier_requests_received_idx` ON `carrier_requests` (`received_at`);--> statement-breakpoint
CREATE TABLE `carriers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`generation` integer DEFAULT 1 NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE TABLE `customer_parcels` (
	`customer_id` text NOT NULL,
	`tracking_number` text NOT NULL,
	`added_at` text NOT NULL,
	PRIMARY KEY(`customer_id`, `tracking_number`),
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `customer_parcels_parcel_idx` ON `customer_parcels` (`tracking_number`);--> statement-breakpoint
CREATE TABLE `parcel_claims` (
	`reference` text PRIMARY KEY NOT NULL,
	`tracking_number` text NOT NULL,
	`customer_id` text,
	`opened_at` text NOT NULL,
	`answer_due` text NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	`note` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `parcel_claims_parcel_customer_idx` ON `parcel_claims` (`tracking_number`,`customer_id`);--> statement-breakpoint
CREATE INDEX `parcel_claims_customer_idx` ON `parcel_claims` (`customer_id`);--> statement-breakpoint
CREATE TABLE `parcel_events` (
	`carrier_id` text NOT NULL,
	`event_id` text NOT NULL,
	`tracking_number` text NOT NULL,
	`code` text NOT NULL,
	`occurred_at` integer NOT NULL,
	`location_id` text,
	`product` text,
	`promised_date` text,
	`shelf` text,
	`postcode_mac` text,
	`received_at` integer NOT NULL,
	PRIMARY KEY(`carrier_id`, `event_id`)
);
--> statement-breakpoint
CREATE INDEX `parcel_events_parcel_idx` ON `parcel_events` (`tracking_number`,`occurred_at`);--> statement-breakpoint
CREATE TABLE `parcels` (
	`tracking_number` text PRIMARY KEY NOT NULL,
	`event_total` integer DEFAULT 0 NOT NULL,
	`event_count` integer DEFAULT 0 NOT NULL,
	`step` integer DEFAULT 0 NOT NULL,
	`delivered` integer DEFAULT false NOT NULL,
	`incidents` text DEFAULT '[]' NOT NULL,
	`product` text,
	`promised_date` text,
	`waiting_location_id` text,
	`waiting_since` integer,
	`shelf` text,
	`postcode_mac` text,
	`last_event_at` integer,
	`last_code` text,
	`updated_at` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `parcels_waiting_idx` ON `parcels` (`waiting_location_id`,`waiting_since`);--> statement-breakpoint
CREATE INDEX `parcels_moving_idx` ON `parcels` (`delivered`,`last_event_at`);--> statement-breakpoint
CREATE INDEX `parcels_stale_idx` ON `parcels` (`tracking_number`) WHERE event_count < event_total;