CREATE TABLE `counter_codes` (
	`digest` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `counter_codes_customer_idx` ON `counter_codes` (`customer_id`);--> statement-breakpoint
CREATE TABLE `counter_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`staff_id` text NOT NULL,
	`location_id` text NOT NULL,
	`opened_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`closed_at` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `counter_sessions_staff_idx` ON `counter_sessions` (`staff_id`,`opened_at`);--> statement-breakpoint
CREATE INDEX `counter_sessions_customer_idx` ON `counter_sessions` (`customer_id`);--> statement-breakpoint
CREATE TABLE `customer_favourites` (
	`customer_id` text NOT NULL,
	`location_id` text NOT NULL,
	`added_at` text NOT NULL,
	PRIMARY KEY(`customer_id`, `location_id`),
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `customer_favourites_order_idx` ON `customer_favourites` (`customer_id`,`added_at`);--> statement-breakpoint
CREATE TABLE `customer_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`customer_id` text NOT NULL,
	`at` text NOT NULL,
	`channel` text NOT NULL,
	`location_id` text,
	`location_name` text,
	`kind` text NOT NULL,
	`detail` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `customer_history_customer_idx` ON `customer_history` (`customer_id`,`id`);--> statement-breakpoint
CREATE TABLE `customer_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`customer_id` text NOT NULL,
	`csrf_token` text NOT NULL,
	`method` text NOT NULL,
	`created_at` text NOT NULL,
	`last_seen_at` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customer_sessions_secret_hash_unique` ON `customer_sessions` (`secret_hash`);--> statement-breakpoint
CREATE INDEX `customer_sessions_customer_idx` ON `customer_sessions` (`customer_id`);--> statement-breakpoint
CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text,
	`phone` text,
	`addresses` text DEFAULT '[]' NOT NULL,
	`channels` text DEFAULT '{"email":true,"sms":false}' NOT NULL,
	`quiet_start` text DEFAULT '21:00' NOT NULL,
	`quiet_end` text DEFAULT '08:00' NOT NULL,
	`time_zone` text DEFAULT 'Europe/Paris' NOT NULL,
	`counter_salt` text NOT NULL,
	`counter_used_step` integer,
	`created_at` text NOT NULL,
	`last_active_at` text NOT NULL,
	`inactivity_warned_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customers_email_unique` ON `customers` (`email`);--> statement-breakpoint
CREATE INDEX `customers_last_active_idx` ON `customers` (`last_active_at`);--> statement-breakpoint
CREATE TABLE `passkeys` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`public_key` text NOT NULL,
	`algorithm` integer NOT NULL,
	`sign_count` integer DEFAULT 0 NOT NULL,
	`name` text NOT NULL,
	`created_at` text NOT NULL,
	`last_used_at` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `passkeys_customer_idx` ON `passkeys` (`customer_id`);--> statement-breakpoint
CREATE TABLE `sign_in_attempts` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`email_digest` text NOT NULL,
	`client_digest` text NOT NULL,
	`code_mac` text NOT NULL,
	`guesses` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text
);
--> statement-breakpoint
CREATE INDEX `sign_in_attempts_email_idx` ON `sign_in_attempts` (`email_digest`,`created_at`);--> statement-breakpoint
CREATE INDEX `sign_in_attempts_client_idx` ON `sign_in_attempts` (`client_digest`,`created_at`);--> statement-breakpoint
CREATE TABLE `staff_audit` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor_id` text NOT NULL,
	`actor_name` text NOT NULL,
	`action` text NOT NULL,
	`location_id` text,
	`subject` text,
	`at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `staff_audit_actor_idx` ON `staff_audit` (`actor_id`,`seq`);--> statement-breakpoint
CREATE TABLE `webauthn_challenges` (
	`challenge_hash` text PRIMARY KEY NOT NULL,
	`purpose` text NOT NULL,
	`customer_id` text,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
