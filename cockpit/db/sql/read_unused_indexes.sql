-- Indexes never scanned since statistics were reset, biggest first. Unique and primary-key
-- indexes enforce constraints and are never listed. Scans on replicas are not counted here.
SELECT s.schemaname, s.relname, s.indexrelname, pg_relation_size(s.indexrelid) AS bytes
FROM pg_stat_user_indexes AS s
JOIN pg_index AS i ON i.indexrelid = s.indexrelid
WHERE s.idx_scan = 0
  AND NOT i.indisunique
  AND NOT i.indisprimary
  AND NOT EXISTS (SELECT 1 FROM pg_constraint AS c WHERE c.conindid = s.indexrelid)
ORDER BY bytes DESC
LIMIT 20
