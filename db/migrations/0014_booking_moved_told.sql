ALTER TABLE `bookings` ADD `moved_told_at` integer;--> statement-breakpoint
CREATE INDEX `bookings_untold_idx` ON `bookings` (`status`,`moved_told_at`);--> statement-breakpoint
-- Seats moved before this column existed were told then.
UPDATE `bookings` SET `moved_told_at` = `cancelled_at` WHERE `status` = 'moved';
