-- The runbooks' "check missing indexes" query on pg_stats (many distinct values, little
-- physical correlation), for every user schema instead of public only, and without the columns
-- that already lead an index.
SELECT st.schemaname, st.tablename, st.attname, st.n_distinct, st.correlation
FROM pg_stats AS st
WHERE st.schemaname NOT IN ('pg_catalog', 'information_schema')
  AND st.schemaname NOT LIKE 'pg\_%'
  AND st.n_distinct > 100
  AND st.correlation < 0.1
  AND NOT EXISTS (
      SELECT 1
      FROM pg_index AS i
      JOIN pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE i.indrelid = format('%I.%I', st.schemaname, st.tablename)::regclass
        AND a.attname = st.attname)
ORDER BY st.n_distinct DESC
LIMIT 20
