-- Exact sizes of the tables and indexes named: %(tables)s and %(indexes)s (oids), on disk now.
--
-- Each size call opens the relation, so the caller hands them in batches: a batch stays under
-- statement_timeout on a new session, whose every open builds the relation's cache entry first.
-- Relations under (or queued for) an ACCESS EXCLUSIVE lock get no size (NULLs, locked = true):
-- pg_*_size would queue behind that lock, and every later request behind us. The session's
-- lock_timeout is the backstop for a lock taken between the two steps. A relation dropped since
-- it was named has NULL sizes (pg_*_size of a missing oid is NULL).
-- Three size calls per table, each opening it once: pg_total_relation_size would open the indexes
-- and TOAST a second time. heap_bytes is every fork of the table plus its TOAST, so toast_bytes
-- (heap - main fork) also holds the table's free-space and visibility maps, a few pages.
WITH locked AS (
    SELECT DISTINCT relation
    FROM pg_locks
    WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
),
named AS (
    SELECT w.oid, w.is_table, c.reltoastrelid,
           w.oid IN (SELECT relation FROM locked)
               OR c.reltoastrelid IN (SELECT relation FROM locked)
               OR i.indrelid IN (SELECT relation FROM locked) AS locked
    FROM (
        SELECT oid, true AS is_table FROM unnest(%(tables)s::oid[]) AS oid
        UNION ALL
        SELECT oid, false FROM unnest(%(indexes)s::oid[]) AS oid
    ) AS w
    LEFT JOIN pg_class AS c ON c.oid = w.oid
    LEFT JOIN pg_index AS i ON i.indexrelid = w.oid
)
SELECT x.oid, x.is_table, x.locked, z.main_bytes,
       z.heap_bytes + z.index_bytes AS total_bytes,
       z.index_bytes,
       CASE WHEN x.reltoastrelid <> 0 THEN z.heap_bytes - z.main_bytes END AS toast_bytes
FROM named AS x
CROSS JOIN LATERAL (
    SELECT CASE WHEN x.locked THEN NULL ELSE pg_relation_size(x.oid) END AS main_bytes,
           CASE WHEN x.locked OR NOT x.is_table THEN NULL ELSE pg_table_size(x.oid) END AS heap_bytes,
           CASE WHEN x.locked OR NOT x.is_table THEN NULL ELSE pg_indexes_size(x.oid) END AS index_bytes
) AS z
