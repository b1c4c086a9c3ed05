-- The union of every index name any part of the original expects (docs/serve.md,
-- §5.3). SQLite has no INCLUDE: where PostgreSQL INCLUDEs columns, they are
-- appended to the key here, which gives the same covering (index-only) reads.
-- idx_api_keys_hash_active uses an immutable predicate only (the original's
-- "expires_at > NOW()" cannot be an index predicate); expiry is checked by the
-- query.

CREATE INDEX IF NOT EXISTS idx_evaluations_agent_region_time
    ON evaluations (agent_id, region, created_at DESC) WHERE status <> 'deleted';
CREATE INDEX IF NOT EXISTS idx_evaluations_status_time
    ON evaluations (status, created_at DESC) WHERE status IN ('error', 'pending', 'running');
CREATE INDEX IF NOT EXISTS idx_evaluations_agent_region_created
    ON evaluations (agent_id, region, created_at DESC, duration_ms, status);
CREATE INDEX IF NOT EXISTS idx_evaluations_agent_timestamp
    ON evaluations (agent_id, timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_evaluations_region_status
    ON evaluations (region, status);

CREATE INDEX IF NOT EXISTS idx_agent_states_agent_region_updated
    ON agent_states (agent_id, region, updated_at DESC);
CREATE INDEX IF NOT EXISTS idx_agent_states_type_updated
    ON agent_states (agent_type, updated_at DESC, region, reward, epsilon);

CREATE INDEX IF NOT EXISTS idx_metrics_name_region_time
    ON metrics (metric_name, region, timestamp DESC, value);
CREATE INDEX IF NOT EXISTS idx_metrics_name_time
    ON metrics (metric_name, timestamp DESC, value);

CREATE INDEX IF NOT EXISTS idx_audit_logs_user_time
    ON audit_logs (user_id, timestamp DESC, action, resource_type, resource_id);
CREATE INDEX IF NOT EXISTS idx_audit_logs_resource
    ON audit_logs (resource_type, resource_id, timestamp DESC, user_id, action);

CREATE UNIQUE INDEX IF NOT EXISTS idx_api_keys_hash_active
    ON api_keys (key_hash) WHERE revoked_at IS NULL;
CREATE INDEX IF NOT EXISTS idx_api_keys_user_active
    ON api_keys (user_id, revoked_at, created_at DESC) WHERE revoked_at IS NULL;

CREATE INDEX IF NOT EXISTS idx_agents_updated_at ON agents (updated_at DESC);
CREATE INDEX IF NOT EXISTS idx_agents_status ON agents (status);

CREATE INDEX IF NOT EXISTS idx_training_steps_composite
    ON training_steps (agent_id, timestamp DESC);

CREATE INDEX IF NOT EXISTS idx_missions_status ON missions (status);
CREATE INDEX IF NOT EXISTS idx_missions_created_at ON missions (created_at DESC);
CREATE INDEX IF NOT EXISTS idx_missions_status_created ON missions (status, created_at DESC);

CREATE INDEX IF NOT EXISTS idx_telemetry_timestamp ON telemetry (timestamp DESC);
