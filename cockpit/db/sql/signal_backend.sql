-- Signal a session only if it is still the one the operator saw: same pid AND backend_start
-- (AND query_start for a cancel). A recycled pid matches no row and is never signalled.
SELECT pid, {function}(pid) AS signalled
FROM pg_stat_activity
WHERE pid = %(pid)s AND backend_start = %(backend_start)s
  AND (%(query_start)s::timestamptz IS NULL OR query_start = %(query_start)s)
