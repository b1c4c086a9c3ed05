-- The live feed (WebSocket /ws) kept in the database, so that its sequence
-- numbers outlive the process: a `tars serve --takeover` replacement (or any
-- other replica on the same database) continues each channel's sequence and
-- can replay what a resuming client missed. feed_channels holds each
-- channel's last sequence number: a write takes the next one by an UPDATE in
-- its own transaction, which holds that row's lock until the commit, so
-- numbers are given out in commit order without gaps, across processes.
-- feed_events keeps the most recent messages of each channel (trimmed to the
-- replay depth by the writers).

CREATE TABLE IF NOT EXISTS feed_channels (
    channel  TEXT PRIMARY KEY,
    last_seq BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS feed_events (
    channel   TEXT NOT NULL,
    seq       BIGINT NOT NULL,
    timestamp BIGINT NOT NULL,
    payload   TEXT NOT NULL,
    PRIMARY KEY (channel, seq)
);

INSERT INTO feed_channels (channel, last_seq) VALUES
    ('evaluation.updates', 0), ('agent.status', 0), ('metrics', 0)
    ON CONFLICT (channel) DO NOTHING;
