-- The snapshot of the backup's REPEATABLE READ transaction, which pg_dump --snapshot then dumps:
-- the rows counted and the rows dumped are the same.
SELECT pg_export_snapshot()
