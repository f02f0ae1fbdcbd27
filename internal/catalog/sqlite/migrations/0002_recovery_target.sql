-- Where WAL replay of a physical restore stops: "end", "immediate" or
-- "time" (point_in_time); empty for restores without log replay.
ALTER TABLE recovery_jobs ADD COLUMN recovery_target TEXT NOT NULL DEFAULT '';
