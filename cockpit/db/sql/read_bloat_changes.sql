-- What moves a relation's bloat estimate or its size, one number per table and index: the Bloat
-- pane estimates again only the relations whose number changed since its last read.
--
-- A table's estimate reads its pages and tuples (relpages, reltuples, its TOAST's), its columns'
-- statistics (changed only by ANALYZE: the analyze counts) and its options and columns (DDL
-- updates its pg_class row: that row's xmin). Its size moves with writes (the insert, update and
-- delete counts), VACUUM (the vacuum counts) and rewrites (relfilenode); live and dead tuples are
-- shown. The counters are the server's cumulative statistics, which a backend reports within
-- seconds of its writes; they are only read, never reset.
-- An index's number holds its own pages, tuples, file and row version: what moves its table moves
-- its estimate too, and the pane estimates a table's btree indexes with it. Every index is listed,
-- btree or not: a new, dropped or rebuilt one moves its table's index size.
-- An index's scans move all the time: they are read here for every index, not hashed (a
-- table's freeze age is counted from its relfrozenxid, which only VACUUM moves); locked (an ACCESS EXCLUSIVE lock on it, its table or its TOAST) is hashed, so a relation is
-- read again when a lock is taken or let go.
WITH locked AS (
    SELECT DISTINCT relation
    FROM pg_locks
    WHERE locktype = 'relation' AND mode = 'AccessExclusiveLock'
      AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
)
SELECT c.oid, i.indrelid AS table_oid,
       c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree') AS btree,
       CASE WHEN c.relkind = 'i' THEN pg_stat_get_numscans(c.oid) END AS scans,
       hashtextextended(concat_ws(' ',
           c.oid IN (SELECT relation FROM locked)
               OR coalesce(i.indrelid, c.reltoastrelid) IN (SELECT relation FROM locked),
           c.relfilenode, c.xmin, c.relpages, c.reltuples,
           CASE WHEN c.relkind <> 'i' THEN concat_ws(' ', t.relpages, t.reltuples,
               pg_stat_get_tuples_inserted(c.oid), pg_stat_get_tuples_updated(c.oid),
               pg_stat_get_tuples_deleted(c.oid), pg_stat_get_live_tuples(c.oid),
               pg_stat_get_dead_tuples(c.oid), pg_stat_get_vacuum_count(c.oid),
               pg_stat_get_autovacuum_count(c.oid), pg_stat_get_analyze_count(c.oid),
               pg_stat_get_autoanalyze_count(c.oid)) END), 0) AS moved
FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
LEFT JOIN pg_index AS i ON i.indexrelid = c.oid
LEFT JOIN pg_class AS t ON t.oid = c.reltoastrelid
WHERE c.relkind IN ('r', 'm', 'i')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_toast'
  AND (%(schema)s::text IS NULL OR n.nspname = %(schema)s::text)
