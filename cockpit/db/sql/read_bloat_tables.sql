-- Tables: estimated bloat, vacuum health and freeze age, from the catalogs only.
--
-- The estimate is the ioguix/pgexperts method: from pg_stats' average column widths and null
-- fractions, the size a tuple should take; from reltuples, the pages the table should need at its
-- fillfactor; bloat is the pages it has beyond that. No page is read.
-- Exact sizes are read_relation_sizes.sql's: opening 10,000 relations costs more than this.
-- %(oids)s: only these tables (the ones whose read_bloat_changes.sql row moved), or NULL for all.
-- Each table's statistics are looked up by its name (LATERAL ... OFFSET 0 keeps the lookup per
-- table): a hash of all of pg_stats, which checks a privilege per column, costs as much for one
-- table as for all of them.
WITH tables AS (
    SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relpages, c.reltuples, c.reltoastrelid,
           c.relfrozenxid, coalesce(c.reloptions, '{}') AS options,
           coalesce(t.relpages, 0) AS toast_pages, coalesce(t.reltuples, 0) AS toast_tuples
    FROM pg_class AS c
    JOIN pg_namespace AS n ON n.oid = c.relnamespace
    LEFT JOIN pg_class AS t ON t.oid = c.reltoastrelid
    WHERE c.relkind IN ('r', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
      AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s::text)
      AND (%(oids)s::oid[] IS NULL OR c.oid = ANY(%(oids)s::oid[]))
),
widths AS (
    SELECT t.oid,
           23 + CASE WHEN max(coalesce(s.null_frac, 0)) > 0 THEN (7 + count(*)) / 8 ELSE 0 END AS header,
           sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) AS data,
           count(s.attname) = count(*) AS complete
    FROM tables AS t
    JOIN pg_attribute AS a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN LATERAL (
        SELECT s.attname, s.null_frac, s.avg_width
        FROM pg_stats AS s
        WHERE s.schemaname = t.schema AND s.tablename = t.name AND s.attname = a.attname AND NOT s.inherited
        OFFSET 0
    ) AS s ON true
    GROUP BY t.oid
),
estimates AS (
    SELECT t.*, w.complete AND t.reltuples >= 0 AS estimable,
           coalesce(substring(array_to_string(t.options, ' ') FROM 'fillfactor=([0-9]+)')::int, 100) AS fillfactor,
           -- a tuple: its line pointer, then header and data each aligned to 8 bytes
           4 + ceil(coalesce(w.header, 23) / 8.0) * 8 + ceil(coalesce(w.data, 0) / 8.0) * 8 AS tuple_bytes
    FROM tables AS t LEFT JOIN widths AS w ON w.oid = t.oid
)
SELECT e.oid, e.schema, e.name, e.estimable,
       e.relpages + e.toast_pages AS pages,
       current_setting('block_size')::int AS block_size,
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
       e.relfrozenxid::text::bigint AS frozen_xid,  -- its freeze age is counted to the read's xid
       current_setting('autovacuum_freeze_max_age')::bigint AS freeze_max_age
FROM estimates AS e
WHERE (e.relpages + e.toast_pages)::bigint * current_setting('block_size')::int >= %(min_bytes)s
ORDER BY bloat_bytes DESC NULLS LAST, pages DESC
