-- Publish this backend's statistics now (PostgreSQL 15+; they go out at most once a second),
-- so figures read after a VACUUM are the VACUUM's. Before 15 the function does not exist.
SELECT pg_stat_force_next_flush()
