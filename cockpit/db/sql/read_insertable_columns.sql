-- A table's insertable columns in order, to archive its rows: dropped and generated columns
-- are left out (the archive table computes its own).
SELECT a.attname FROM pg_attribute AS a
JOIN pg_class AS c ON c.oid = a.attrelid JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %(schema)s AND c.relname = %(name)s AND a.attnum > 0 AND NOT a.attisdropped
  AND a.attgenerated = '' ORDER BY a.attnum
