-- Top statements without their texts (pg_stat_statements(false)): texts are fetched once per
-- queryid. PostgreSQL 13+ column names. {schema} and {order} are composed identifiers ({order}
-- names an output column). One row per statement, user and database: PostgreSQL 14+ keeps a
-- statement run both top-level and nested (pg_stat_statements.track = all) as two entries, which
-- would share one key in the pane; their sums are the statement's whole cost.
SELECT s.queryid, s.userid::regrole::text AS username, d.datname,
       sum(s.calls)::bigint AS calls,
       sum(s.total_exec_time) AS total_exec_time,
       coalesce(sum(s.total_exec_time) / nullif(sum(s.calls), 0), 0) AS mean_exec_time,
       sum(s.rows)::bigint AS rows,
       sum(s.shared_blks_read)::bigint AS shared_blks_read,
       sum(s.temp_blks_written)::bigint AS temp_blks_written
FROM {schema}.pg_stat_statements(false) AS s
LEFT JOIN pg_database AS d ON d.oid = s.dbid
WHERE s.queryid IS NOT NULL
GROUP BY s.queryid, s.userid, d.datname
ORDER BY {order} DESC NULLS LAST
LIMIT %(limit)s
