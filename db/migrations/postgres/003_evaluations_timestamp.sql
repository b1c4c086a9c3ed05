-- tars:no-transaction
-- An index for the reward aggregation of docs/db-bench.md ("average reward per agent
-- over the last hour", the staging suite's database_query_performance check):
--   SELECT agent_id, AVG(reward) FROM evaluations WHERE timestamp >= $1 GROUP BY agent_id
-- No index of 002 leads with timestamp, so that query read the whole table
-- (`tars db-bench` found it). Built CONCURRENTLY, outside a transaction, as
-- 002 is; INCLUDE makes it covering (an index-only scan).

CREATE INDEX CONCURRENTLY IF NOT EXISTS idx_evaluations_timestamp
    ON evaluations (timestamp DESC) INCLUDE (agent_id, reward);

ANALYZE evaluations;
