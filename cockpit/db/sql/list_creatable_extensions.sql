-- The extensions this role may create in the scratch database a backup is restored into: all
-- of them for a superuser, else the trusted ones (their default version).
SELECT e.name FROM pg_available_extensions AS e
WHERE (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
   OR EXISTS (SELECT FROM pg_available_extension_versions AS v
              WHERE v.name = e.name AND v.version = e.default_version AND v.trusted)
