-- Why VACUUM left dead tuples: the session of this database whose snapshot (xmin) or transaction
-- id is oldest keeps them visible. Ours is left out.
SELECT pid, usename, state, extract(epoch FROM now() - xact_start)::int, query
FROM pg_stat_activity WHERE coalesce(backend_xmin, backend_xid) IS NOT NULL
  AND pid <> pg_backend_pid() AND datname = current_database()
ORDER BY greatest(age(backend_xmin), age(backend_xid)) DESC LIMIT 1
