ALTER TABLE `location_hours` ADD `open_on_holidays` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `publication_pushes` ADD `claim_token` text;--> statement-breakpoint
ALTER TABLE `publication_pushes` ADD `claimed_until` text;--> statement-breakpoint
-- Data: lockers seeded before this migration carry one "open all day" exception per public holiday; the flag replaces them.
UPDATE `location_hours` SET `open_on_holidays` = 1 WHERE `location_id` IN (SELECT `location_id` FROM `hours_exceptions` WHERE `created_by` = 'seed' AND `reason` = 'public_holiday_opening' AND `intervals` = '[{"opens":"00:00","closes":"24:00"}]');--> statement-breakpoint
DELETE FROM `hours_exceptions` WHERE `created_by` = 'seed' AND `reason` = 'public_holiday_opening' AND `intervals` = '[{"opens":"00:00","closes":"24:00"}]' AND `location_id` IN (SELECT `location_id` FROM `location_hours` WHERE `open_on_holidays` = 1);
