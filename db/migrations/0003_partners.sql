CREATE TABLE `partners` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`publishable_key_hash` text NOT NULL,
	`secret_key_hash` text NOT NULL,
	`allowed_origins` text NOT NULL,
	`created_at` text NOT NULL,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `partners_publishable_key_hash_unique` ON `partners` (`publishable_key_hash`);--> statement-breakpoint
CREATE UNIQUE INDEX `partners_secret_key_hash_unique` ON `partners` (`secret_key_hash`);--> statement-breakpoint
CREATE TABLE `settings` (
	`name` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL
);
