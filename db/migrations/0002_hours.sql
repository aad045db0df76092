CREATE TABLE `hours_audit` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`location_id` text NOT NULL,
	`action` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_name` text NOT NULL,
	`at` text NOT NULL,
	`before` text,
	`after` text
);
--> statement-breakpoint
CREATE INDEX `hours_audit_location_idx` ON `hours_audit` (`location_id`,`seq`);--> statement-breakpoint
CREATE TABLE `hours_exceptions` (
	`id` text PRIMARY KEY NOT NULL,
	`location_id` text NOT NULL,
	`start_date` text NOT NULL,
	`end_date` text,
	`closed` integer NOT NULL,
	`intervals` text NOT NULL,
	`reason` text NOT NULL,
	`note` text,
	`bulk_id` text,
	`created_by` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `hours_exceptions_location_idx` ON `hours_exceptions` (`location_id`,`start_date`);--> statement-breakpoint
CREATE TABLE `location_hours` (
	`location_id` text PRIMARY KEY NOT NULL,
	`weekly` text NOT NULL,
	`version` integer DEFAULT 0 NOT NULL,
	`last_write` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `publication_cursors` (
	`target` text PRIMARY KEY NOT NULL,
	`last_seq` integer NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `publication_pushes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`target` text NOT NULL,
	`location_ids` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text NOT NULL,
	`last_error` text,
	`created_at` text NOT NULL,
	`sent_at` text
);
--> statement-breakpoint
CREATE INDEX `publication_pushes_due_idx` ON `publication_pushes` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `staff_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`secret_hash` text NOT NULL,
	`token_id` text NOT NULL,
	`csrf_token` text NOT NULL,
	`expires_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_sessions_secret_hash_unique` ON `staff_sessions` (`secret_hash`);--> statement-breakpoint
CREATE TABLE `staff_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`token_hash` text NOT NULL,
	`role` text NOT NULL,
	`scope_type` text NOT NULL,
	`scope_value` text,
	`created_at` text NOT NULL,
	`expires_at` text,
	`revoked_at` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `staff_tokens_token_hash_unique` ON `staff_tokens` (`token_hash`);