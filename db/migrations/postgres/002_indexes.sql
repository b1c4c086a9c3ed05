-- tars:no-transaction
-- The union of every index name any part of the original expects (docs/serve.md,
-- §5.3). CREATE INDEX CONCURRENTLY cannot run inside a transaction block, so
-- this file runs outside one, statement by statement (the first line above
-- tells the migration runner so); every statement is idempotent, and the
-- runner drops an index an interrupted earlier run left INVALID before
-- building it again. INCLUDE columns are the original's.
-- idx_api_keys_hash_active has an immutable predicate only: the original's
-- "expires_at > NOW()" is rejected by PostgreSQL in an index predicate, so
-- expiry is checked by the lookup query instead.

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_evaluations_agent_region_time
    ON evaluations (agent_id, region, created_at DESC) WHERE status <> 'deleted';
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_evaluations_status_time
    ON evaluations (status, created_at DESC) WHERE status IN ('error', 'pending', 'running');
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_evaluations_agent_region_created
    ON evaluations (agent_id, region, created_at DESC) INCLUDE (duration_ms, status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_evaluations_agent_timestamp
    ON evaluations (agent_id, timestamp DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_evaluations_region_status
    ON evaluations (region, status);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_agent_states_agent_region_updated
    ON agent_states (agent_id, region, updated_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_agent_states_type_updated
    ON agent_states (agent_type, updated_at DESC) INCLUDE (region, reward, epsilon);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_metrics_name_region_time
    ON metrics (metric_name, region, timestamp DESC) INCLUDE (value, labels);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_metrics_name_time
    ON metrics (metric_name, timestamp DESC) INCLUDE (value, labels);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_logs_user_time
    ON audit_logs (user_id, timestamp DESC) INCLUDE (action, resource_type, resource_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_audit_logs_resource
    ON audit_logs (resource_type, resource_id, timestamp DESC) INCLUDE (user_id, action);

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS idx_api_keys_hash_active
    ON api_keys (key_hash) WHERE revoked_at IS NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_api_keys_user_active
    ON api_keys (user_id, revoked_at, created_at DESC) WHERE revoked_at IS NULL;

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_agents_updated_at ON agents (updated_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_agents_status ON agents (status);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_training_steps_composite
    ON training_steps (agent_id, timestamp DESC);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_missions_status ON missions (status);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_missions_created_at ON missions (created_at DESC);
CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_missions_status_created
    ON missions (status, created_at DESC);

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_telemetry_timestamp ON telemetry (timestamp DESC);

ANALYZE evaluations;
ANALYZE agent_states;
ANALYZE metrics;
ANALYZE audit_logs;
ANALYZE api_keys;
