-- Top statements without their texts (pg_stat_statements(false)): texts are fetched once per
-- queryid. PostgreSQL 13+ column names. {schema} and {order} are composed identifiers.
SELECT s.queryid, s.userid::regrole::text AS username, d.datname, s.calls,
       s.total_exec_time, s.mean_exec_time, s.rows, s.shared_blks_read, s.temp_blks_written
FROM {schema}.pg_stat_statements(false) AS s
LEFT JOIN pg_database AS d ON d.oid = s.dbid
WHERE s.queryid IS NOT NULL
ORDER BY {order} DESC NULLS LAST
LIMIT %(limit)s
