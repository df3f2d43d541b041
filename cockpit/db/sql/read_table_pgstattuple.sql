-- An exact reading of one table's dead tuples and free space (pgstattuple reads every page: run
-- on the operator's request only, under a statement timeout).
SELECT table_len, tuple_len, dead_tuple_len, free_space, dead_tuple_count
FROM pgstattuple(%(relation)s::regclass)
