-- Tables: sizes, estimated bloat, vacuum health and freeze age, from the catalogs only.
--
-- The estimate is the ioguix/pgexperts method: from pg_stats' average column widths and null
-- fractions, the size a tuple should take; from reltuples, the pages the table should need at its
-- fillfactor; bloat is the pages it has beyond that. No page is read.
-- Relations under (or queued for) an ACCESS EXCLUSIVE lock get no exact size (NULLs, locked =
-- true): pg_*_size would queue behind that lock, and every later request behind us. The session's
-- lock_timeout is the backstop for a lock taken between the two steps.
-- %(exact_sizes)s = false reads no size function at all (the retry after such a race).
WITH locked AS (
    SELECT DISTINCT relation
    FROM pg_locks
    WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
),
tables AS (
    SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relpages, c.reltuples, c.reltoastrelid,
           c.relfrozenxid, coalesce(c.reloptions, '{}') AS options,
           coalesce(t.relpages, 0) AS toast_pages, coalesce(t.reltuples, 0) AS toast_tuples,
           c.oid IN (SELECT relation FROM locked) OR c.reltoastrelid IN (SELECT relation FROM locked) AS locked
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    LEFT JOIN pg_class AS t ON t.oid = c.reltoastrelid
    WHERE c.relkind IN ('r', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
      AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s::text)
),
widths AS (
    SELECT t.oid,
           23 + CASE WHEN max(coalesce(s.null_frac, 0)) > 0 THEN (7 + count(*)) / 8 ELSE 0 END AS header,
           sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS data,
           count(s.attname) = count(*) AS complete
    FROM tables AS t
    JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_stats AS s
        ON s.schemaname = t.schema AND s.tablename = t.name AND s.attname = a.attname AND NOT s.inherited
    GROUP BY t.oid
),
estimates AS (
    SELECT t.*, w.complete AND t.reltuples >= 0 AS estimable,
           coalesce(substring(array_to_string(t.options, ' ') FROM 'fillfactor=([0-9]+)')::int, 100) AS fillfactor,
           -- a tuple: its line pointer, then header and data each aligned to 8 bytes
           4 + ceil(coalesce(w.header, 23) / 8.0) * 8 + ceil(coalesce(w.data, 0) / 8.0) * 8 AS tuple_bytes
    FROM tables AS t LEFT JOIN widths AS w ON w.oid = t.oid
)
SELECT e.oid, e.schema, e.name, e.locked, e.estimable,
       e.relpages + e.toast_pages AS pages,
       current_setting('block_size')::int AS block_size,
       z.heap_bytes + z.index_bytes AS total_bytes,
       z.main_bytes AS table_bytes,
       z.index_bytes,
       CASE WHEN e.reltoastrelid <> 0 THEN z.heap_bytes - z.main_bytes END AS toast_bytes,
       CASE WHEN e.estimable THEN greatest(
           e.relpages + e.toast_pages
           - ceil(e.reltuples / ((current_setting('block_size')::int - 24) * e.fillfactor / (100.0 * e.tuple_bytes)))
           - ceil(e.toast_tuples / 4), 0)::bigint * current_setting('block_size')::int
       END AS bloat_bytes,
       -- pg_stat_user_tables' columns, from its functions: the view's joins cost more than these.
       pg_stat_get_live_tuples(e.oid) AS live_tuples, pg_stat_get_dead_tuples(e.oid) AS dead_tuples,
       pg_stat_get_last_vacuum_time(e.oid) AS last_vacuum,
       pg_stat_get_last_autovacuum_time(e.oid) AS last_autovacuum,
       pg_stat_get_last_analyze_time(e.oid) AS last_analyze,
       pg_stat_get_last_autoanalyze_time(e.oid) AS last_autoanalyze,
       coalesce(substring(array_to_string(e.options, ' ') FROM 'autovacuum_enabled=([a-z]+)'), 'true')
           NOT IN ('false', 'off', '0') AND current_setting('autovacuum')::bool AS autovacuum_on,
       coalesce(substring(array_to_string(e.options, ' ') FROM 'autovacuum_vacuum_threshold=([0-9]+)')::float8,
                current_setting('autovacuum_vacuum_threshold')::float8)
         + coalesce(substring(array_to_string(e.options, ' ') FROM 'autovacuum_vacuum_scale_factor=([0-9.]+)')::float8,
                    current_setting('autovacuum_vacuum_scale_factor')::float8) * greatest(e.reltuples, 0)
         AS autovacuum_threshold,
       age(e.relfrozenxid) AS freeze_age,
       current_setting('autovacuum_freeze_max_age')::bigint AS freeze_max_age
FROM estimates AS e
CROSS JOIN LATERAL (
    -- Three size calls, each opening the relation once: pg_total_relation_size would open the
    -- indexes and TOAST a second time (half the query's time on a 10,000-table catalog).
    -- heap_bytes is every fork of the table plus its TOAST; toast_bytes (heap - main fork)
    -- therefore also holds the table's free-space and visibility maps, a few pages.
    SELECT CASE WHEN e.locked OR NOT %(exact_sizes)s THEN NULL ELSE pg_relation_size(e.oid) END AS main_bytes,
           CASE WHEN e.locked OR NOT %(exact_sizes)s THEN NULL ELSE pg_table_size(e.oid) END AS heap_bytes,
           CASE WHEN e.locked OR NOT %(exact_sizes)s THEN NULL ELSE pg_indexes_size(e.oid) END AS index_bytes
) AS z
WHERE (e.relpages + e.toast_pages)::bigint * current_setting('block_size')::int >= %(min_bytes)s
ORDER BY bloat_bytes DESC NULLS LAST, pages DESC
