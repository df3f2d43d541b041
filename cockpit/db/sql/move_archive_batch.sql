-- One archive batch, in one statement: delete up to a batch of rows older than the cutoff from the
-- source table (skipping rows other sessions lock) and insert exactly those into the archive.
-- Composed with psycopg.sql: the names in braces are filled in as Identifiers (source and
-- archive the tables, col the age column, columns the insertable column list).
WITH moved AS (
    DELETE FROM {source} WHERE ctid = ANY(ARRAY(
        SELECT ctid FROM {source} WHERE {col} < %(cutoff)s LIMIT %(batch)s FOR UPDATE SKIP LOCKED))
    RETURNING {columns})
INSERT INTO {archive} ({columns}) OVERRIDING SYSTEM VALUE SELECT {columns} FROM moved
