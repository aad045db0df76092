-- A ticket's events in order, enforced by the database (worker/affluence/ingest.ts):
-- the check before a batch reads what is stored, but two requests at once
-- (a `called` and a `served` of the same ticket) could both pass it. Ranks:
-- arrival 0, called 1, served 2. A row is refused when its ticket (same
-- office and service day) already has a later stage, or an earlier stage
-- at a later instant, or when it is not an arrival and no arrival is stored.
CREATE TRIGGER `visit_events_in_order` BEFORE INSERT ON `visit_events`
WHEN EXISTS (
  SELECT 1 FROM `visit_events` e
  WHERE e.location_id = NEW.location_id AND e.service_date = NEW.service_date AND e.ticket = NEW.ticket
    AND (
      (CASE e.kind WHEN 'arrival' THEN 0 WHEN 'called' THEN 1 ELSE 2 END) > (CASE NEW.kind WHEN 'arrival' THEN 0 WHEN 'called' THEN 1 ELSE 2 END)
      OR ((CASE e.kind WHEN 'arrival' THEN 0 WHEN 'called' THEN 1 ELSE 2 END) < (CASE NEW.kind WHEN 'arrival' THEN 0 WHEN 'called' THEN 1 ELSE 2 END) AND e.at > NEW.at)
    )
) OR (NEW.kind <> 'arrival' AND NOT EXISTS (
  SELECT 1 FROM `visit_events` a
  WHERE a.location_id = NEW.location_id AND a.service_date = NEW.service_date AND a.ticket = NEW.ticket AND a.kind = 'arrival'
))
BEGIN
  SELECT RAISE(ABORT, 'visit_order');
END;
