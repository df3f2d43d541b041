-- Slow cadence only: the size of the connected database (never all databases: pgwatch2 #433).
SELECT pg_database_size(current_database())
