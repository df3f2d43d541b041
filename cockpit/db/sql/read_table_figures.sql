-- A table's total size (heap, TOAST, indexes) and dead tuples, before and after its maintenance.
-- pg_stat_all_tables, not _user_: a LEFT JOIN keeps a table without statistics yet (0 dead).
SELECT pg_total_relation_size(c.oid), coalesce(s.n_dead_tup, 0)
FROM pg_class AS c LEFT JOIN pg_stat_all_tables AS s ON s.relid = c.oid
WHERE c.oid = %(relation)s::regclass
