-- The health pane's fast refresh: one round trip, no catalog scans, PostgreSQL 13+.
-- pg_blocking_pids runs only for sessions already waiting on a lock.
SELECT
    current_setting('server_version') AS version,
    extract(epoch FROM now() - pg_postmaster_start_time())::float8 AS uptime_s,
    current_setting('max_connections')::int AS max_connections,
    (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend') AS connections,
    (SELECT coalesce(json_object_agg(state, n), '{}'::json) FROM (
        SELECT coalesce(state, 'unknown') AS state, count(*) AS n
        FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1) AS s) AS states,
    (SELECT extract(epoch FROM max(now() - xact_start))::float8 FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND state NOT IN ('idle')
          AND xact_start IS NOT NULL AND pid <> pg_backend_pid()) AS oldest_xact_s,
    (SELECT extract(epoch FROM max(now() - state_change))::float8 FROM pg_stat_activity
        WHERE state IN ('idle in transaction', 'idle in transaction (aborted)')) AS oldest_idle_xact_s,
    (SELECT count(*) FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND cardinality(pg_blocking_pids(pid)) > 0) AS blocked,
    (SELECT sum(blks_hit)::float8 / nullif(sum(blks_hit) + sum(blks_read), 0)
        FROM pg_stat_database) AS cache_hit,
    (SELECT max(age(datfrozenxid)) FROM pg_database)::bigint AS xid_age,
    current_setting('autovacuum_freeze_max_age')::bigint AS freeze_max_age,
    pg_is_in_recovery() AS standby,
    -- A standby that has replayed all it received has no lag (0), however long ago the last
    -- transaction it replayed was: on a quiet primary that age grows with nothing behind. Only
    -- WAL received and not yet replayed is lag, and its age is that of the last replayed
    -- transaction. A standby fed from an archive (no receiver: NULL) keeps the age.
    CASE WHEN NOT pg_is_in_recovery() THEN NULL
         WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn() THEN 0::float8
         ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS replay_lag_s,
    -- "Caught up" holds only while WAL arrives: a standby that has streamed since it started
    -- (a receive LSN) whose receiver is no longer streaming (no row: not running) has replayed
    -- all it received and knows nothing of what it has not. Without pg_read_all_stats the row
    -- shows its pid only: 'unknown', never taken as disconnected.
    pg_last_wal_receive_lsn() IS NOT NULL AS streamed,
    (SELECT coalesce(status, 'unknown') FROM pg_stat_wal_receiver) AS wal_receiver,
    (SELECT count(*) FROM pg_stat_replication) AS replicas,
    (SELECT coalesce(json_agg(json_build_object(
        'name', slot_name, 'active', active,
        'retained_bytes', CASE WHEN pg_is_in_recovery() OR restart_lsn IS NULL THEN NULL
                          ELSE pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn) END)), '[]'::json)
        FROM pg_replication_slots) AS slots
