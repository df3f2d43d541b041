-- How far the maintenance statement on the given backend is: one row from whichever progress view
-- reports it (VACUUM, ANALYZE, VACUUM FULL's rewrite, REINDEX), as (phase, done, total) blocks.
SELECT 'vacuum ' || relid::regclass || ': ' || phase,
       CASE phase WHEN 'vacuuming heap' THEN heap_blks_vacuumed ELSE heap_blks_scanned END, heap_blks_total
  FROM pg_stat_progress_vacuum WHERE pid = %(pid)s
UNION ALL
SELECT 'analyze ' || relid::regclass || ': ' || phase, sample_blks_scanned, sample_blks_total
  FROM pg_stat_progress_analyze WHERE pid = %(pid)s
UNION ALL
SELECT 'rewrite: ' || phase, heap_blks_scanned, heap_blks_total
  FROM pg_stat_progress_cluster WHERE pid = %(pid)s
UNION ALL
SELECT 'index: ' || phase, blocks_done, blocks_total
  FROM pg_stat_progress_create_index WHERE pid = %(pid)s
