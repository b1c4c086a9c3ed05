-- tars schema (SQLite dialect; db/migrations/postgres/001_schema.sql is its twin).
--
-- Conventions, the same in both dialects so that one query text serves both:
-- * times are INTEGER milliseconds since the Unix epoch, under the original's
--   column names (created_at, updated_at, timestamp, ...);
-- * booleans are INTEGER 0/1; absent optional values are NULL;
-- * text lengths are bounded in C (the sizes in include/tars/store.h), not here.
--
-- evaluations.timestamp is a real column holding the same value as created_at:
-- the original's staging check queries evaluations.timestamp and its index
-- idx_evaluations_agent_timestamp is (agent_id, timestamp), so the column exists
-- rather than being an alias. The store writes both on insert and never changes
-- either afterwards.
--
-- metrics.labels is JSON text, checked with json_valid so that json_extract can
-- never fail on a stored row.

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    disabled      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL DEFAULT '',
    service_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    key_hash     TEXT NOT NULL,
    scopes       TEXT,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE agents (
    id                 TEXT PRIMARY KEY,
    type               TEXT NOT NULL,
    name               TEXT NOT NULL,
    status             TEXT NOT NULL,
    region             TEXT NOT NULL,
    state_dim          INTEGER NOT NULL DEFAULT 0,
    action_dim         INTEGER NOT NULL DEFAULT 0,
    current_episode    INTEGER NOT NULL DEFAULT 0,
    total_steps        INTEGER NOT NULL DEFAULT 0,
    recent_reward_mean REAL NOT NULL DEFAULT 0,
    params             TEXT,
    updated_at         INTEGER NOT NULL
);

CREATE TABLE agent_states (
    id         INTEGER PRIMARY KEY,
    agent_id   TEXT NOT NULL,
    agent_type TEXT NOT NULL,
    region     TEXT NOT NULL,
    episode    INTEGER NOT NULL DEFAULT 0,
    step       INTEGER NOT NULL DEFAULT 0,
    reward     REAL NOT NULL DEFAULT 0,
    epsilon    REAL NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);

CREATE TABLE evaluations (
    id          TEXT PRIMARY KEY,
    agent_id    TEXT NOT NULL,
    region      TEXT NOT NULL,
    status      TEXT NOT NULL,
    reward      REAL,
    duration_ms INTEGER,
    details     TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    timestamp   INTEGER NOT NULL
);

CREATE TABLE missions (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    status     TEXT NOT NULL,
    agent_id   TEXT NOT NULL DEFAULT '',
    details    TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE metrics (
    id          INTEGER PRIMARY KEY,
    metric_name TEXT NOT NULL,
    region      TEXT NOT NULL DEFAULT '',
    timestamp   INTEGER NOT NULL,
    value       REAL NOT NULL,
    labels      TEXT CHECK (labels IS NULL OR json_valid(labels))
);

CREATE TABLE audit_logs (
    id            INTEGER PRIMARY KEY,
    timestamp     INTEGER NOT NULL,
    event_type    TEXT NOT NULL,
    user_id       TEXT NOT NULL DEFAULT '',
    username      TEXT NOT NULL DEFAULT '',
    action        TEXT NOT NULL DEFAULT '',
    resource_type TEXT NOT NULL DEFAULT '',
    resource_id   TEXT NOT NULL DEFAULT '',
    client_ip     TEXT NOT NULL DEFAULT '',
    success       INTEGER NOT NULL DEFAULT 1,
    details       TEXT
);

CREATE TABLE telemetry (
    id        INTEGER PRIMARY KEY,
    timestamp INTEGER NOT NULL,
    source    TEXT NOT NULL DEFAULT '',
    name      TEXT NOT NULL,
    value     REAL,
    data      TEXT
);

CREATE TABLE training_steps (
    id        INTEGER PRIMARY KEY,
    agent_id  TEXT NOT NULL,
    episode   INTEGER NOT NULL DEFAULT 0,
    step      INTEGER NOT NULL DEFAULT 0,
    reward    REAL,
    loss      REAL,
    timestamp INTEGER NOT NULL
);
