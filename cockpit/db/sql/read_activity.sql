-- Client sessions, with whom each waits for (pg_blocking_pids only for sessions waiting on a lock).
SELECT pid, usename, datname, application_name, host(client_addr) AS client, state,
       wait_event_type, wait_event, backend_start, xact_start, query_start,
       extract(epoch FROM now() - xact_start)::float8 AS xact_age_s,
       extract(epoch FROM now() - query_start)::float8 AS query_age_s,
       left(query, 4000) AS query,
       CASE WHEN wait_event_type = 'Lock' THEN pg_blocking_pids(pid) ELSE '{}'::int[] END AS blocked_by
FROM pg_stat_activity
WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
ORDER BY xact_start NULLS LAST
