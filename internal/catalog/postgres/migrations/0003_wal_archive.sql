-- The last WAL archive report of each source: one row per source, and one
-- per timeline it holds. Deleting a source deletes its report.
CREATE TABLE wal_archives (
    source_id     TEXT PRIMARY KEY REFERENCES sources (id) ON DELETE CASCADE,
    agent_id      TEXT NOT NULL,
    repository    TEXT NOT NULL,
    segment_size  BIGINT NOT NULL,
    reported_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE wal_timelines (
    source_id         TEXT NOT NULL REFERENCES wal_archives (source_id) ON DELETE CASCADE,
    timeline          BIGINT NOT NULL,
    first_segment     TEXT NOT NULL,
    last_segment      TEXT NOT NULL,
    segment_count     BIGINT NOT NULL,
    gaps              JSONB NOT NULL DEFAULT '[]',
    history           BOOLEAN NOT NULL,
    parent_timeline   BIGINT NOT NULL,
    switch_lsn        TEXT NOT NULL,
    last_archived_at  TIMESTAMPTZ,
    PRIMARY KEY (source_id, timeline)
);
