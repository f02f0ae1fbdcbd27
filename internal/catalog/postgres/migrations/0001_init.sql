-- Coffer catalog, PostgreSQL. Times are timestamptz (UTC); JSON is jsonb;
-- optional unique keys (idempotency keys) are NULL when unset.

CREATE TABLE storage_locations (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    url              TEXT NOT NULL,
    options          JSONB NOT NULL DEFAULT '{}',
    credentials      BYTEA,
    credential_keys  JSONB NOT NULL DEFAULT '[]',
    is_default       BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    idempotency_key  TEXT UNIQUE
);
-- At most one default location.
CREATE UNIQUE INDEX storage_locations_one_default ON storage_locations (is_default) WHERE is_default;

CREATE TABLE agents (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    hostname          TEXT NOT NULL DEFAULT '',
    version           TEXT NOT NULL DEFAULT '',
    capabilities      JSONB NOT NULL DEFAULT '[]',
    cert_serial       TEXT NOT NULL DEFAULT '',
    cert_fingerprint  TEXT NOT NULL DEFAULT '',
    cert_expires_at   TIMESTAMPTZ,
    last_seen         TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    revoked_at        TIMESTAMPTZ
);
CREATE INDEX agents_cert_fingerprint ON agents (cert_fingerprint);

CREATE TABLE sources (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    type                 TEXT NOT NULL,
    agent_id             TEXT NOT NULL,
    config               JSONB NOT NULL DEFAULT '{}',
    secrets              BYTEA,
    secret_keys          JSONB NOT NULL DEFAULT '[]',
    storage_location_id  TEXT NOT NULL DEFAULT '',
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    idempotency_key      TEXT UNIQUE
);
CREATE INDEX sources_agent ON sources (agent_id);

CREATE TABLE join_tokens (
    id          TEXT PRIMARY KEY,
    hash        BYTEA NOT NULL UNIQUE,
    agent_name  TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ
);

CREATE TABLE api_tokens (
    id            TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    role          TEXT NOT NULL,
    scopes        JSONB NOT NULL DEFAULT '[]',
    hash          BYTEA NOT NULL UNIQUE,
    prefix        TEXT NOT NULL DEFAULT '',
    created_at    TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ,
    last_used_at  TIMESTAMPTZ,
    revoked_at    TIMESTAMPTZ
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
    epoch                  BIGINT NOT NULL DEFAULT 0,
    lease_expires_at       TIMESTAMPTZ,
    max_attempts           INTEGER NOT NULL,
    not_before             TIMESTAMPTZ,
    cancel_requested       BOOLEAN NOT NULL DEFAULT FALSE,
    phase                  TEXT NOT NULL DEFAULT '',
    bytes_done             BIGINT NOT NULL DEFAULT 0,
    bytes_total            BIGINT NOT NULL DEFAULT 0,
    entries_done           BIGINT NOT NULL DEFAULT 0,
    entries_total          BIGINT NOT NULL DEFAULT 0,
    bytes_written          BIGINT NOT NULL DEFAULT 0,
    rate_bytes_per_second  DOUBLE PRECISION NOT NULL DEFAULT 0,
    eta_seconds            BIGINT NOT NULL DEFAULT 0,
    percent                DOUBLE PRECISION NOT NULL DEFAULT 0,
    progress_seq           BIGINT NOT NULL DEFAULT 0,
    steps                  JSONB NOT NULL DEFAULT '[]',
    progress_reported_at   TIMESTAMPTZ,
    progress_moved_at      TIMESTAMPTZ,
    error                  TEXT NOT NULL DEFAULT '',
    idempotency_key        TEXT UNIQUE,
    created_at             TIMESTAMPTZ NOT NULL,
    started_at             TIMESTAMPTZ,
    finished_at            TIMESTAMPTZ
);
-- ClaimJob: the oldest queued job of an agent.
CREATE INDEX jobs_claim ON jobs (agent_id, created_at) WHERE state = 'queued';
-- ExpiredAttempts / StalledAttempts.
CREATE INDEX jobs_running_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_subject ON jobs (subject_id);

CREATE TABLE job_attempts (
    job_id            TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    attempt           INTEGER NOT NULL,
    epoch             BIGINT NOT NULL,
    agent_id          TEXT NOT NULL,
    state             TEXT NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL,
    lease_expires_at  TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ,
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
    size_bytes           BIGINT NOT NULL DEFAULT 0,
    stored_bytes         BIGINT NOT NULL DEFAULT 0,
    entry_count          BIGINT NOT NULL DEFAULT 0,
    compression          BOOLEAN NOT NULL DEFAULT TRUE,
    encryption           BOOLEAN NOT NULL DEFAULT TRUE,
    include_files        BOOLEAN NOT NULL DEFAULT FALSE,
    scheduled_for        TIMESTAMPTZ,
    started_at           TIMESTAMPTZ,
    completed_at         TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    error                TEXT NOT NULL DEFAULT '',
    metadata             JSONB NOT NULL DEFAULT '{}',
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
    point_in_time       TIMESTAMPTZ,
    validate_only       BOOLEAN NOT NULL DEFAULT FALSE,
    overwrite_existing  BOOLEAN NOT NULL DEFAULT FALSE,
    job_id              TEXT NOT NULL DEFAULT '',
    created_at          TIMESTAMPTZ NOT NULL,
    started_at          TIMESTAMPTZ,
    completed_at        TIMESTAMPTZ,
    recovered_to        TIMESTAMPTZ,
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
    started_at             TIMESTAMPTZ,
    completed_at           TIMESTAMPTZ,
    created_at             TIMESTAMPTZ NOT NULL,
    error                  TEXT NOT NULL DEFAULT '',
    recovery_time_seconds  DOUBLE PRECISION NOT NULL DEFAULT 0,
    details                JSONB NOT NULL DEFAULT '{}'
);
CREATE INDEX backup_verifications_backup ON backup_verifications (backup_id, created_at DESC);

CREATE TABLE backup_schedules (
    id                   TEXT PRIMARY KEY,
    name                 TEXT NOT NULL UNIQUE,
    cron_expression      TEXT NOT NULL,
    timezone             TEXT NOT NULL,
    backup_type          TEXT NOT NULL,
    sources              JSONB NOT NULL DEFAULT '[]',
    enabled              BOOLEAN NOT NULL,
    retention            JSONB NOT NULL DEFAULT '{}',
    overlap_policy       TEXT NOT NULL DEFAULT '',
    jitter_seconds       INTEGER NOT NULL DEFAULT 0,
    storage_location_id  TEXT NOT NULL DEFAULT '',
    next_run             TIMESTAMPTZ,
    last_run             TIMESTAMPTZ,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    idempotency_key      TEXT UNIQUE
);
CREATE INDEX backup_schedules_due ON backup_schedules (next_run) WHERE enabled;

-- One row per fired (schedule, fire time): a run fires once.
CREATE TABLE schedule_runs (
    schedule_id  TEXT NOT NULL REFERENCES backup_schedules (id) ON DELETE CASCADE,
    fire_time    TIMESTAMPTZ NOT NULL,
    backup_ids   JSONB NOT NULL DEFAULT '[]',
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (schedule_id, fire_time)
);

CREATE TABLE leader_leases (
    name        TEXT PRIMARY KEY,
    holder      TEXT NOT NULL,
    epoch       BIGINT NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    time       TIMESTAMPTZ NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL DEFAULT '',
    details    JSONB NOT NULL DEFAULT '{}',
    prev_hash  BYTEA,
    hash       BYTEA NOT NULL
);

-- The audit log is append-only: updates and deletes fail.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
