ALTER TABLE `office_offers` ADD `seats_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- The seats version moves in the same transaction as every write to an
-- offer's seats, whatever code path writes them: the slots listing's edge
-- key (worker/edge/resources.ts) can never name seats that changed.
CREATE TRIGGER `bookings_seats_version_insert` AFTER INSERT ON `bookings`
BEGIN
  UPDATE `office_offers` SET `seats_version` = `seats_version` + 1 WHERE `id` = NEW.offer_id;
END;
--> statement-breakpoint
CREATE TRIGGER `bookings_seats_version_update` AFTER UPDATE OF `status`, `starts_at`, `ends_at`, `hold_expires_at`, `offer_id` ON `bookings`
BEGIN
  UPDATE `office_offers` SET `seats_version` = `seats_version` + 1 WHERE `id` IN (OLD.offer_id, NEW.offer_id);
END;
--> statement-breakpoint
CREATE TRIGGER `bookings_seats_version_delete` AFTER DELETE ON `bookings`
BEGIN
  UPDATE `office_offers` SET `seats_version` = `seats_version` + 1 WHERE `id` = OLD.offer_id;
END;
