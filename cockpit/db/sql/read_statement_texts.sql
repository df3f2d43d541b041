-- Texts for queryids not yet cached. Reading texts reads pg_stat_statements' text file, so this
-- runs only when new queryids appear, never on every refresh.
SELECT DISTINCT ON (queryid) queryid, query
FROM {schema}.pg_stat_statements(true)
WHERE queryid = ANY(%(ids)s)
