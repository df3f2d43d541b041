-- Tables read mostly by sequential scans: big enough to matter, more rows read by seq scans
-- than by index scans. A hint, not a verdict: small lookups and batch jobs scan on purpose.
SELECT schemaname, relname, seq_scan, seq_tup_read, coalesce(idx_scan, 0) AS idx_scan, n_live_tup,
       pg_relation_size(relid) AS bytes
FROM pg_stat_user_tables
WHERE seq_scan > 0
  AND n_live_tup >= %(min_rows)s
  AND seq_tup_read > coalesce(idx_tup_fetch, 0)
ORDER BY seq_tup_read DESC
LIMIT 20
