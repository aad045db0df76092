CREATE TABLE `department_stats` (
	`department` text PRIMARY KEY NOT NULL,
	`active_locations` integer NOT NULL,
	`communes` integer NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `locator_snapshots` (
	`version` integer NOT NULL,
	`part` integer NOT NULL,
	`parts` integer NOT NULL,
	`data` blob NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`version`, `part`)
);
--> statement-breakpoint
-- Existing databases: the figures as the locations stand now (later writes keep them).
INSERT INTO `department_stats` (`department`, `active_locations`, `communes`, `updated_at`)
SELECT l.`department`, sum(l.`status` = 'active'),
       (SELECT count(*) FROM `communes` c WHERE c.`department` = l.`department` AND c.`active_locations` > 0),
       max(l.`updated_at`)
FROM `locations` l GROUP BY l.`department`;
