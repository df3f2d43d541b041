"""Actions: what changes a target, each run through the guard.

Signals to sessions, the statements reset, maintenance (VACUUM, ANALYZE, REINDEX), the audit-log
archive, and EXPLAIN (ANALYZE runs the statement).
"""
