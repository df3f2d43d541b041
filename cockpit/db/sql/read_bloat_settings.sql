-- The settings every table's autovacuum threshold and freeze share are counted from (when one
-- changes, a reload, the Bloat pane estimates every table again), and the server's transaction
-- counter as age() counts it: a table's freeze age is age(relfrozenxid), the counter less its
-- relfrozenxid, and 3 is the first normal xid, so the counter is age('3') + 3 (modulo 2^32).
SELECT current_setting('autovacuum') AS autovacuum,
       current_setting('autovacuum_vacuum_threshold') AS vacuum_threshold,
       current_setting('autovacuum_vacuum_scale_factor') AS vacuum_scale_factor,
       current_setting('autovacuum_freeze_max_age') AS freeze_max_age,
       current_setting('block_size') AS block_size,
       age('3'::xid) AS age_of_first_xid
