CREATE TABLE `parcel_follow_failures` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`customer_id` text NOT NULL,
	`tracking_number` text NOT NULL,
	`at` integer NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `parcel_follow_failures_customer_idx` ON `parcel_follow_failures` (`customer_id`,`at`);--> statement-breakpoint
CREATE INDEX `parcel_follow_failures_parcel_idx` ON `parcel_follow_failures` (`tracking_number`,`at`);--> statement-breakpoint
CREATE TABLE `parcel_notices` (
	`key` text PRIMARY KEY NOT NULL,
	`recipient` text NOT NULL,
	`tracking_number` text NOT NULL,
	`kind` text NOT NULL,
	`timing` text DEFAULT 'can_wait' NOT NULL,
	`line` text NOT NULL,
	`created_at` integer NOT NULL,
	`deliver_after` integer NOT NULL,
	`claim` text,
	`claimed_at` integer,
	`sent_at` integer
);
--> statement-breakpoint
CREATE INDEX `parcel_notices_due_idx` ON `parcel_notices` (`sent_at`,`deliver_after`);--> statement-breakpoint
CREATE INDEX `parcel_notices_recipient_idx` ON `parcel_notices` (`recipient`);--> statement-breakpoint
CREATE INDEX `parcel_notices_parcel_idx` ON `parcel_notices` (`tracking_number`,`kind`);--> statement-breakpoint
CREATE TABLE `parcel_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`tracking_number` text NOT NULL,
	`email` text NOT NULL,
	`confirm_hash` text NOT NULL,
	`unsubscribe_hash` text NOT NULL,
	`created_at` text NOT NULL,
	`confirmed_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `parcel_subscriptions_confirm_hash_unique` ON `parcel_subscriptions` (`confirm_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `parcel_subscriptions_unsubscribe_hash_unique` ON `parcel_subscriptions` (`unsubscribe_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `parcel_subscriptions_parcel_email_idx` ON `parcel_subscriptions` (`tracking_number`,`email`);--> statement-breakpoint
CREATE INDEX `parcel_subscriptions_created_idx` ON `parcel_subscriptions` (`created_at`);--> statement-breakpoint
ALTER TABLE `outbox` ADD `headers` text;