-- Who holds a granted lock on the relation in one of the modes that block the one wanted
-- (an array of modes), oldest transaction first: what the operator is told to wait for.
SELECT l.pid, a.usename, a.state, extract(epoch FROM now() - a.xact_start)::int, a.query, l.mode
FROM pg_locks AS l JOIN pg_stat_activity AS a ON a.pid = l.pid
WHERE l.relation = %(relation)s::regclass AND l.granted AND l.pid <> pg_backend_pid()
  AND l.mode = ANY(%(modes)s) ORDER BY a.xact_start NULLS LAST
