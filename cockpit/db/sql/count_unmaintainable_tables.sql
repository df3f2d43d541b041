-- Before maintaining every table: how many user tables this role may not maintain (they are
-- skipped), and one owner to name in the GRANT. Before PostgreSQL 17 only the owner's privileges
-- allow it; count_unmaintainable_tables_17.sql is the 17+ variant (separate files, so each
-- pastes as it is).
SELECT count(*), min(pg_get_userbyid(c.relowner)) FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp)' AND NOT pg_has_role(c.relowner, 'USAGE')
