-- An index for the reward aggregation of docs/db-bench.md ("average reward per agent
-- over the last hour", the staging suite's database_query_performance check):
--   SELECT agent_id, AVG(reward) FROM evaluations WHERE timestamp >= ? GROUP BY agent_id
-- No index of 002 leads with timestamp, so that query read the whole table
-- (`tars db-bench` found it). agent_id and reward are key columns here (SQLite
-- has no INCLUDE), which makes the index covering for the query.

CREATE INDEX IF NOT EXISTS idx_evaluations_timestamp
    ON evaluations (timestamp DESC, agent_id, reward);
