"""Database sessions as a monitor opens them, the pg_dump and pg_restore to run, and in ``sql/``
every statement the cockpit runs."""
