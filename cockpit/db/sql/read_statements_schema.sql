-- The schema pg_stat_statements is installed in (no row: not installed in this database), so its
-- views are read schema-qualified whatever the search_path.
SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_stat_statements'
