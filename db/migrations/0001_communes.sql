CREATE TABLE `communes` (
	`insee_code` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`department` text NOT NULL,
	`postcode` text NOT NULL,
	`active_locations` integer NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `communes_department_idx` ON `communes` (`department`,`name`);--> statement-breakpoint
-- Backfill for databases imported before this table existed (same query as worker/imports/store.ts).
INSERT INTO `communes` (`insee_code`, `name`, `department`, `postcode`, `active_locations`, `updated_at`)
SELECT insee_code, commune, department, postcode, total_active, last_update FROM (
  SELECT insee_code, commune, department, min(postcode) AS postcode,
    sum(sum(status = 'active')) OVER w AS total_active,
    max(max(updated_at)) OVER w AS last_update,
    row_number() OVER (PARTITION BY insee_code ORDER BY sum(status = 'active') DESC, count(*) DESC, commune) AS rn
  FROM locations GROUP BY insee_code, commune, department
  WINDOW w AS (PARTITION BY insee_code)
) WHERE rn = 1;
