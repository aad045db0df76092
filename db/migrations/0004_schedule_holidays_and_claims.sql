ALTER TABLE `location_hours` ADD `open_on_holidays` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `publication_pushes` ADD `claim_token` text;--> statement-breakpoint
ALTER TABLE `publication_pushes` ADD `claimed_until` text;