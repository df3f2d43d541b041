-- The relation a CSV export names, resolved as PostgreSQL would (search_path, quoting): its quoted
-- name to COPY from and its schema.table for the file name. Tables, partitioned tables,
-- materialized views and views only.
SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), n.nspname || '.' || c.relname
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.oid = to_regclass(%(name)s) AND c.relkind IN ('r', 'p', 'm', 'v')
