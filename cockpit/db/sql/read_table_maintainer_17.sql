-- Whether this session's role may maintain the table, and its owner (to name the GRANT), on
-- PostgreSQL 17+: the owner's privileges, or MAINTAIN (granted on the table or through
-- pg_maintain). read_table_maintainer.sql is the variant before 17, which has no MAINTAIN.
SELECT (pg_has_role(c.relowner, 'USAGE') OR has_table_privilege(c.oid, 'MAINTAIN')), pg_get_userbyid(c.relowner)
FROM pg_class AS c WHERE c.oid = %(relation)s::regclass
