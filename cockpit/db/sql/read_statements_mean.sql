-- Mean statement time from pg_stat_statements, without reading the (possibly huge) query texts.
SELECT sum(total_exec_time)::float8, sum(calls)::bigint FROM {schema}.pg_stat_statements(false)
