-- Whether the Queries pane can show statements, and why not: the schema pg_stat_statements is
-- installed in (NULL: not installed), whether it is preloaded, whether this role sees every
-- user's statements. Only pg_read_all_settings (in pg_monitor) may read
-- shared_preload_libraries: without it, NULL (not known), rather than the whole probe failing.
SELECT (SELECT extnamespace::regnamespace::text FROM pg_extension
        WHERE extname = 'pg_stat_statements'),
 CASE WHEN pg_has_role(current_user, 'pg_read_all_settings', 'USAGE') THEN
   'pg_stat_statements' = ANY(string_to_array(replace(
     current_setting('shared_preload_libraries'), ' ', ''), ',')) END,
 pg_has_role(current_user, 'pg_read_all_stats', 'USAGE')
