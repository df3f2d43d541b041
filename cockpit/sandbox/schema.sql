-- The sandbox schema, modelled on the runbooks' tables. Loaded once into database `app`.
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION IF NOT EXISTS pgstattuple;

CREATE TABLE profiles (
    id          bigserial PRIMARY KEY,
    email       text NOT NULL UNIQUE,
    display_name text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE sessions (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES profiles (id),
    token_hash  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL
);
CREATE INDEX sessions_user_id ON sessions (user_id);
CREATE TABLE user_feedback (
    id          bigserial PRIMARY KEY,
    user_id     bigint REFERENCES profiles (id),
    rating      int NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    actor_id    bigint,
    action      text NOT NULL,
    details     jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_created_at ON audit_log (created_at);
CREATE TABLE audit_log_archive (LIKE audit_log INCLUDING ALL);
CREATE TABLE conversations (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES profiles (id),
    title       text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE messages (
    id              bigserial PRIMARY KEY,
    conversation_id bigint NOT NULL REFERENCES conversations (id),
    role            text NOT NULL,
    content         text NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_id ON messages (conversation_id);
CREATE TABLE feature_flags (
    name        text PRIMARY KEY,
    enabled     boolean NOT NULL DEFAULT false,
    kill_switch boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Dead tuples must stay visible for the bloat pane: no autovacuum on these two.
ALTER TABLE user_feedback SET (autovacuum_enabled = false);
ALTER TABLE audit_log SET (autovacuum_enabled = false);

INSERT INTO profiles (email, display_name)
SELECT 'user' || g || '@example.test', 'User ' || g FROM generate_series(1, 2000) g;
INSERT INTO sessions (user_id, token_hash, created_at, expires_at)
SELECT 1 + g % 2000, md5(g::text), now() - (g || ' minutes')::interval, now() + interval '1 day'
FROM generate_series(1, 20000) g;
INSERT INTO user_feedback (user_id, rating, body)
SELECT 1 + g % 2000, 1 + g % 5, repeat('feedback ', 20) FROM generate_series(1, 30000) g;
-- audit rows spread over 200 days: the runbooks archive those older than 90.
INSERT INTO audit_log (actor_id, action, details, created_at)
SELECT 1 + g % 2000, 'login', jsonb_build_object('ip', '10.0.0.' || g % 250),
       now() - (g % 200 || ' days')::interval
FROM generate_series(1, 40000) g;
INSERT INTO conversations (user_id, title)
SELECT 1 + g % 2000, 'Conversation ' || g FROM generate_series(1, 5000) g;
INSERT INTO messages (conversation_id, role, content)
SELECT 1 + g % 5000, CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END, repeat('hello ', 30)
FROM generate_series(1, 30000) g;
INSERT INTO feature_flags (name, enabled) VALUES
    ('ai_summaries', true), ('new_dashboard', false), ('affected_feature', true);

-- Bloat and dead tuples: churn that autovacuum is not allowed to clean.
UPDATE user_feedback SET body = body || '!' WHERE id % 3 = 0;
DELETE FROM user_feedback WHERE id % 5 = 0;
UPDATE audit_log SET details = details || '{"seen": true}' WHERE id % 2 = 0;

-- A login role whose password expires in a few days (the secrets pane's database roles).
DO $$
BEGIN
    EXECUTE format('CREATE ROLE reporting LOGIN VALID UNTIL %L',
                   (now() + interval '4 days')::text);
END $$;
GRANT pg_read_all_stats TO reporting;
-- Roles in this group authenticate with a password (see pg_hba.conf in postgres.py).
CREATE ROLE password_login NOLOGIN;
ANALYZE;
