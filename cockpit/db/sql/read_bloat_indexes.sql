-- B-tree indexes: estimated bloat and scans, from the catalogs only (ioguix/pgexperts).
-- A leaf tuple: line pointer (4) + IndexTupleData (8, +4 for a null bitmap) aligned, + key data
-- aligned; a page holds (block - page header 24 - btree special 16) * fillfactor of them.
-- Expression columns take their statistics from the index itself. %(oids)s, the statistics' lookup
-- and the sizes as in read_bloat_tables.sql.
WITH indexes AS (
    SELECT ci.oid, ct.oid AS table_oid, n.nspname AS schema, ct.relname AS table_name, ci.relname AS name,
           ci.relpages, ci.reltuples, i.indkey::int2[] AS keys,
           coalesce(substring(array_to_string(ci.reloptions, ' ') FROM 'fillfactor=([0-9]+)')::int, 90) AS fillfactor
    FROM pg_index AS i
    JOIN pg_class AS ci ON ci.oid = i.indexrelid
    JOIN pg_class AS ct ON ct.oid = i.indrelid
    JOIN pg_namespace AS n ON n.oid = ci.relnamespace
    WHERE ci.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
      AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s::text)
      AND (%(oids)s::oid[] IS NULL OR ci.oid = ANY(%(oids)s::oid[]))
),
keyed AS (
    -- Each key column's name, looked up by index (a hash of all of pg_attribute, 300,000 rows on
    -- a 10,000-table catalog, cost more than the rest of the query).
    SELECT x.oid, x.schema,
           CASE WHEN k.attnum = 0 THEN x.name ELSE x.table_name END AS stats_table,
           CASE WHEN k.attnum = 0
                THEN (SELECT attname FROM pg_attribute WHERE attrelid = x.oid AND attnum = k.position)
                ELSE (SELECT attname FROM pg_attribute WHERE attrelid = x.table_oid AND attnum = k.attnum)
           END AS attname
    FROM indexes AS x
    CROSS JOIN LATERAL unnest(x.keys) WITH ORDINALITY AS k(attnum, position)
),
columns AS (
    SELECT y.oid,
           max(coalesce(s.null_frac, 0)) AS null_frac,
           sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 1024)) AS data,
           count(s.attname) = count(*) AS complete
    FROM keyed AS y
    LEFT JOIN LATERAL (
        SELECT s.attname, s.null_frac, s.avg_width
        FROM pg_stats AS s
        WHERE s.schemaname = y.schema AND s.tablename = y.stats_table AND s.attname = y.attname
        OFFSET 0
    ) AS s ON true
    GROUP BY y.oid
)
SELECT x.oid, x.schema, x.table_name, x.name,
       c.complete AND x.reltuples >= 0 AS estimable,
       x.relpages AS pages, current_setting('block_size')::int AS block_size,
       CASE WHEN c.complete AND x.reltuples >= 0 THEN greatest(
           x.relpages - 1 - ceil(x.reltuples / floor(
               (current_setting('block_size')::int - 24 - 16) * x.fillfactor
               / (100.0 * (4 + CASE WHEN c.null_frac > 0 THEN 16 ELSE 8 END + ceil(c.data / 8.0) * 8)))),
           0)::bigint * current_setting('block_size')::int
       END AS bloat_bytes,
       pg_stat_get_numscans(x.oid) AS scans  -- pg_stat_user_indexes' idx_scan, without its joins
FROM indexes AS x
JOIN columns AS c ON c.oid = x.oid
WHERE x.relpages::bigint * current_setting('block_size')::int >= %(min_bytes)s
ORDER BY bloat_bytes DESC NULLS LAST, pages DESC
