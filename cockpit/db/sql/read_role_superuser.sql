-- After a refused signal: whether the session's role is a superuser (whose sessions only a
-- superuser may signal, whatever is granted).
SELECT rolsuper FROM pg_roles WHERE rolname = %(role)s
