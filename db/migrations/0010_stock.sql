CREATE TABLE `inventory_feed` (
	`location_id` text NOT NULL,
	`sku` text NOT NULL,
	`quantity` integer NOT NULL,
	`availability` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`location_id`, `sku`)
);
--> statement-breakpoint
CREATE INDEX `inventory_feed_updated_idx` ON `inventory_feed` (`updated_at`);--> statement-breakpoint
CREATE TABLE `location_stock` (
	`location_id` text NOT NULL,
	`sku` text NOT NULL,
	`quantity` integer NOT NULL,
	`counted_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`claim` text,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`location_id`, `sku`)
);
--> statement-breakpoint
CREATE INDEX `location_stock_sku_idx` ON `location_stock` (`sku`,`location_id`);--> statement-breakpoint
CREATE TABLE `order_lines` (
	`order_id` text NOT NULL,
	`line` integer NOT NULL,
	`sku` text NOT NULL,
	`name` text NOT NULL,
	`unit_price_cents` integer NOT NULL,
	`quantity` integer NOT NULL,
	PRIMARY KEY(`order_id`, `line`),
	FOREIGN KEY (`order_id`) REFERENCES `orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`channel` text NOT NULL,
	`location_id` text,
	`clerk_id` text,
	`delivery` text NOT NULL,
	`delivery_address` text,
	`collect_location_id` text,
	`payment` text NOT NULL,
	`total_cents` integer NOT NULL,
	`reorder_of` text,
	`request_key` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `orders_request_idx` ON `orders` (`customer_id`,`request_key`);--> statement-breakpoint
CREATE INDEX `orders_customer_idx` ON `orders` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `products` (
	`sku` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`kind` text NOT NULL,
	`price_cents` integer NOT NULL,
	`description` text NOT NULL,
	`sold_online` integer NOT NULL,
	`online_stock` integer DEFAULT 0 NOT NULL,
	`withdrawn_at` integer,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `products_kind_idx` ON `products` (`kind`,`name`);--> statement-breakpoint
CREATE TABLE `stock_audit` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`location_id` text NOT NULL,
	`sku` text NOT NULL,
	`before` integer,
	`after` integer NOT NULL,
	`source` text NOT NULL,
	`actor_id` text NOT NULL,
	`actor_name` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stock_audit_location_idx` ON `stock_audit` (`location_id`,`seq`);--> statement-breakpoint
CREATE TABLE `stock_holds` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`location_id` text NOT NULL,
	`sku` text NOT NULL,
	`quantity` integer NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`request_key` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`remind_at` integer NOT NULL,
	`reminded_at` integer,
	`closed_at` integer,
	`closed_by` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `stock_holds_request_idx` ON `stock_holds` (`customer_id`,`request_key`);--> statement-breakpoint
CREATE INDEX `stock_holds_live_idx` ON `stock_holds` (`location_id`,`sku`,`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `stock_holds_customer_idx` ON `stock_holds` (`customer_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `stock_holds_expiry_idx` ON `stock_holds` (`status`,`expires_at`);--> statement-breakpoint
CREATE INDEX `stock_holds_reminder_idx` ON `stock_holds` (`status`,`remind_at`);--> statement-breakpoint
CREATE TABLE `stock_sheets` (
	`location_id` text PRIMARY KEY NOT NULL,
	`version` integer NOT NULL,
	`claim` text,
	`updated_at` integer NOT NULL
);
