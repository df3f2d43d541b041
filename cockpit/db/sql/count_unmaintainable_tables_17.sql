-- Before maintaining every table, on PostgreSQL 17+: how many user tables this role may not
-- maintain (neither the owner's privileges nor MAINTAIN), and one owner to name in the GRANT.
-- count_unmaintainable_tables.sql is the variant before 17, which has no MAINTAIN.
SELECT count(*), min(pg_get_userbyid(c.relowner)) FROM pg_class AS c
JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_(toast|temp)'
  AND NOT (pg_has_role(c.relowner, 'USAGE') OR has_table_privilege(c.oid, 'MAINTAIN'))
