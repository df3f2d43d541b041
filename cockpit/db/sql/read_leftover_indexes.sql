-- The invalid *_ccnew indexes a failed REINDEX CONCURRENTLY leaves on a table, to drop them.
SELECT n.nspname, c.relname FROM pg_index AS i
JOIN pg_class AS c ON c.oid = i.indexrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE i.indrelid = %(table)s::regclass AND NOT i.indisvalid AND c.relname ~ '_ccnew[0-9]*$'
