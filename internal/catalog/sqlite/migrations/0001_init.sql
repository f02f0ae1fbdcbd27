-- Coffer catalog, SQLite. Times are INTEGER unix microseconds (UTC); JSON is TEXT;
-- optional unique keys (idempotency keys) are NULL when unset.

CREATE TABLE storage_locations (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    url              TEXT NOT NULL,
    options          TEXT NOT NULL DEFAULT '{}',
    credentials      BLOB,
    credential_keys  TEXT NOT NULL DEFAULT '[]',
    is_default       INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    idempotency_key  TEXT UNIQUE
);
-- At most one default location.
CREATE UNIQUE INDEX storage_locations_one_default ON storage_locations (is_default) WHERE is_default = 1;

CREATE TABLE agents (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    hostname          TEXT NOT NULL DEFAULT '',
    version           TEXT NOT NULL DEFAULT '',
    capabilities      TEXT NOT NULL DEFAULT '[]',
    cert_serial       TEXT NOT NULL DEFAULT '',
    cert_fingerprint  TEXT NOT NULL DEFAULT '',
    cert_expires_at   INTEGER,
    last_seen         INTEGER,
    created_at        INTEGER NOT NULL,
    revoked_at        INTEGER
);
CREATE INDEX agents_cert_fingerprint ON agents (cert_fingerprint);

CREATE TABLE sources (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    type                 TEXT NOT NULL,
    agent_id             TEXT NOT NULL,
    config               TEXT NOT NULL DEFAULT '{}',
    secrets              BLOB,
    secret_keys          TEXT NOT NULL DEFAULT '[]',
    storage_location_id  TEXT NOT NULL DEFAULT '',
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    idempotency_key      TEXT UNIQUE
);
CREATE INDEX sources_agent ON sources (agent_id);

CREATE TABLE join_tokens (
    id          TEXT PRIMARY KEY,
    hash        BLOB NOT NULL UNIQUE,
    agent_name  TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    scopes        TEXT NOT NULL DEFAULT '[]',
    hash          BLOB NOT NULL UNIQUE,
    prefix        TEXT NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);

-- jobs: one unit of agent work; its current attempt's lease and progress.
CREATE TABLE jobs (
    id                     TEXT PRIMARY KEY,
    kind                   TEXT NOT NULL,
    subject_id             TEXT NOT NULL,
    source_id              TEXT NOT NULL DEFAULT '',
    agent_id               TEXT NOT NULL,
    state                  TEXT NOT NULL,
    attempt                INTEGER NOT NULL DEFAULT 0,
    epoch                  INTEGER NOT NULL DEFAULT 0,
    lease_expires_at       INTEGER,
    max_attempts           INTEGER NOT NULL,
    not_before             INTEGER,
    cancel_requested       INTEGER NOT NULL DEFAULT 0,
    phase                  TEXT NOT NULL DEFAULT '',
    bytes_done             INTEGER NOT NULL DEFAULT 0,
    bytes_total            INTEGER NOT NULL DEFAULT 0,
    entries_done           INTEGER NOT NULL DEFAULT 0,
    entries_total          INTEGER NOT NULL DEFAULT 0,
    bytes_written          INTEGER NOT NULL DEFAULT 0,
    rate_bytes_per_second  REAL NOT NULL DEFAULT 0,
    eta_seconds            INTEGER NOT NULL DEFAULT 0,
    percent                REAL NOT NULL DEFAULT 0,
    progress_seq           INTEGER NOT NULL DEFAULT 0,
    steps                  TEXT NOT NULL DEFAULT '[]',
    progress_reported_at   INTEGER,
    progress_moved_at      INTEGER,
    error                  TEXT NOT NULL DEFAULT '',
    idempotency_key        TEXT UNIQUE,
    created_at             INTEGER NOT NULL,
    started_at             INTEGER,
    finished_at            INTEGER
);
-- ClaimJob: the oldest queued job of an agent.
CREATE INDEX jobs_claim ON jobs (agent_id, created_at) WHERE state = 'queued';
-- ExpiredAttempts / StalledAttempts.
CREATE INDEX jobs_running_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_subject ON jobs (subject_id);

CREATE TABLE job_attempts (
    job_id            TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt           INTEGER NOT NULL,
    epoch             INTEGER NOT NULL,
    agent_id          TEXT NOT NULL,
    state             TEXT NOT NULL,
    started_at        INTEGER NOT NULL,
    lease_expires_at  INTEGER NOT NULL,
    finished_at       INTEGER,
    error             TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job_id, attempt)
);

CREATE TABLE backups (
    id                   TEXT PRIMARY KEY,
    source_id            TEXT NOT NULL,
    source_name          TEXT NOT NULL,
    source_type          TEXT NOT NULL,
    type                 TEXT NOT NULL,
    status               TEXT NOT NULL,
    agent_id             TEXT NOT NULL DEFAULT '',
    storage_location_id  TEXT NOT NULL DEFAULT '',
    snapshot_id          TEXT NOT NULL DEFAULT '',
    parent_backup_id     TEXT NOT NULL DEFAULT '',
    schedule_id          TEXT NOT NULL DEFAULT '',
    job_id               TEXT NOT NULL DEFAULT '',
    size_bytes           INTEGER NOT NULL DEFAULT 0,
    stored_bytes         INTEGER NOT NULL DEFAULT 0,
    entry_count          INTEGER NOT NULL DEFAULT 0,
    compression          INTEGER NOT NULL DEFAULT 1,
    encryption           INTEGER NOT NULL DEFAULT 1,
    include_files        INTEGER NOT NULL DEFAULT 0,
    scheduled_for        INTEGER,
    started_at           INTEGER,
    completed_at         INTEGER,
    created_at           INTEGER NOT NULL,
    error                TEXT NOT NULL DEFAULT '',
    metadata             TEXT NOT NULL DEFAULT '{}',
    idempotency_key      TEXT UNIQUE
);
-- ListBackups: newest first, optionally by source, status or type.
CREATE INDEX backups_created ON backups (created_at DESC, id DESC);
CREATE INDEX backups_source_created ON backups (source_id, created_at DESC);
CREATE INDEX backups_source_name_created ON backups (source_name, created_at DESC);
CREATE INDEX backups_status_created ON backups (status, created_at DESC);
CREATE INDEX backups_type_created ON backups (type, created_at DESC);

CREATE TABLE recovery_jobs (
    id                  TEXT PRIMARY KEY,
    backup_id           TEXT NOT NULL,
    source_id           TEXT NOT NULL DEFAULT '',
    agent_id            TEXT NOT NULL DEFAULT '',
    status              TEXT NOT NULL,
    target_database     TEXT NOT NULL DEFAULT '',
    target_path         TEXT NOT NULL DEFAULT '',
    point_in_time       INTEGER,
    validate_only       INTEGER NOT NULL DEFAULT 0,
    overwrite_existing  INTEGER NOT NULL DEFAULT 0,
    job_id              TEXT NOT NULL DEFAULT '',
    created_at          INTEGER NOT NULL,
    started_at          INTEGER,
    completed_at        INTEGER,
    recovered_to        INTEGER,
    error               TEXT NOT NULL DEFAULT '',
    idempotency_key     TEXT UNIQUE
);
CREATE INDEX recovery_jobs_created ON recovery_jobs (created_at DESC, id DESC);
CREATE INDEX recovery_jobs_backup ON recovery_jobs (backup_id);

CREATE TABLE backup_verifications (
    id                     TEXT PRIMARY KEY,
    backup_id              TEXT NOT NULL REFERENCES backups (id),
    kind                   TEXT NOT NULL,
    status                 TEXT NOT NULL,
    agent_id               TEXT NOT NULL DEFAULT '',
    job_id                 TEXT NOT NULL DEFAULT '',
    started_at             INTEGER,
    completed_at           INTEGER,
    created_at             INTEGER NOT NULL,
    error                  TEXT NOT NULL DEFAULT '',
    recovery_time_seconds  REAL NOT NULL DEFAULT 0,
    details                TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX backup_verifications_backup ON backup_verifications (backup_id, created_at DESC);

CREATE TABLE backup_schedules (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    cron_expression      TEXT NOT NULL,
    timezone             TEXT NOT NULL,
    backup_type          TEXT NOT NULL,
    sources              TEXT NOT NULL DEFAULT '[]',
    enabled              INTEGER NOT NULL,
    retention            TEXT NOT NULL DEFAULT '{}',
    overlap_policy       TEXT NOT NULL DEFAULT '',
    jitter_seconds       INTEGER NOT NULL DEFAULT 0,
    storage_location_id  TEXT NOT NULL DEFAULT '',
    next_run             INTEGER,
    last_run             INTEGER,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    idempotency_key      TEXT UNIQUE
);
CREATE INDEX backup_schedules_due ON backup_schedules (next_run) WHERE enabled = 1;

-- One row per fired (schedule, fire time): a run fires once.
CREATE TABLE schedule_runs (
    schedule_id  TEXT NOT NULL REFERENCES backup_schedules (id) ON DELETE CASCADE,
    fire_time    INTEGER NOT NULL,
    backup_ids   TEXT NOT NULL DEFAULT '[]',
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (schedule_id, fire_time)
);

CREATE TABLE leader_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    epoch       INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);

CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    time       INTEGER NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL DEFAULT '',
    details    TEXT NOT NULL DEFAULT '{}',
    prev_hash  BLOB,
    hash       BLOB NOT NULL
);

-- The audit log is append-only: updates and deletes fail.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
