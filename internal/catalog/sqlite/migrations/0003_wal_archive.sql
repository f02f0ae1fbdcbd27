-- The last WAL archive report of each source: one row per source, and one
-- per timeline it holds. Deleting a source deletes its report.
CREATE TABLE wal_archives (
    source_id     TEXT PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
    agent_id      TEXT NOT NULL,
    repository    TEXT NOT NULL,
    segment_size  INTEGER NOT NULL,
    reported_at   INTEGER NOT NULL
);

CREATE TABLE wal_timelines (
    source_id         TEXT NOT NULL REFERENCES wal_archives (source_id) ON DELETE CASCADE,
    timeline          INTEGER NOT NULL,
    first_segment     TEXT NOT NULL,
    last_segment      TEXT NOT NULL,
    segment_count     INTEGER NOT NULL,
    gaps              TEXT NOT NULL DEFAULT '[]',
    history           INTEGER NOT NULL,
    parent_timeline   INTEGER NOT NULL,
    switch_lsn        TEXT NOT NULL,
    last_archived_at  INTEGER,
    PRIMARY KEY (source_id, timeline)
);
