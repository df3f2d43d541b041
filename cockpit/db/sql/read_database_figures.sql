-- The connected database's size and its tables' dead tuples, before and after maintaining every table.
SELECT pg_database_size(current_database()), coalesce(sum(n_dead_tup), 0) FROM pg_stat_user_tables
