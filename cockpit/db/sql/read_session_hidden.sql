-- After a signal matched no session: whether the session is another role's whose backend_start
-- this role cannot see (without pg_read_all_stats it reads NULL, so no re-check can match).
SELECT backend_start IS NULL AND usename <> current_user FROM pg_stat_activity WHERE pid = %(pid)s
