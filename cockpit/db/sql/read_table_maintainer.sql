-- Whether this session's role may maintain the table, and its owner (to name the GRANT), before
-- PostgreSQL 17: only the owner's privileges (membership) allow VACUUM, ANALYZE or REINDEX.
-- read_table_maintainer_17.sql is the 17+ variant (the MAINTAIN privilege): separate files, so
-- each pastes as it is.
SELECT pg_has_role(c.relowner, 'USAGE'), pg_get_userbyid(c.relowner)
FROM pg_class AS c WHERE c.oid = %(relation)s::regclass
