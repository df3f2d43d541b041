"""The roles a real estate gives the cockpit, on the sandbox's server: non-superusers with
password auth, exactly as the README's "Database roles" section grants them.

* ``cockpit_observer``: pg_monitor only (observers);
* ``cockpit_operator``: pg_monitor, a member of ``app_owner`` (the role owning the
  application's tables: VACUUM, ANALYZE, REINDEX), pg_stat_scan_tables (exact bloat),
  pg_signal_backend (cancel/terminate) and EXECUTE on pg_stat_statements_reset;
* ``cockpit_restore``: CREATEDB only, for verification's scratch databases;
* ``cockpit_bare``: a login and nothing else, to read what the server (and the cockpit) says to
  a role without each grant.

They log in with a password (the sandbox's pg_hba.conf asks one of members of
``password_login``). The DSNs carry no password: they name a libpq ``passfile`` (mode 0600) the
way a ~/.pgpass would, so in-process tests and the pg_dump/pg_restore the cockpit starts
authenticate alike, with no PGPASSWORD; the keyring path to libpq is tested in test_keyring.py.

The application's database, ``estate``, is the sandbox schema loaded by its owner role, with
pg_stat_statements and pgstattuple created in it by the superuser, as a DBA would.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from cockpit.config import Database
from cockpit.sandbox.postgres import SandboxPostgres

DATABASE = "estate"
OWNER = "app_owner"
OBSERVER = "cockpit_observer"
OPERATOR = "cockpit_operator"
RESTORE = "cockpit_restore"
BARE = "cockpit_bare"

# The README's grants, word for word (tests/integration/test_roles.py checks they are there).
ROLE_SQL = {
    OBSERVER: "CREATE ROLE cockpit_observer LOGIN PASSWORD {password} IN ROLE pg_monitor",
    OPERATOR: (
        "CREATE ROLE cockpit_operator LOGIN PASSWORD {password}"
        " IN ROLE pg_monitor, pg_signal_backend, pg_stat_scan_tables, app_owner"
    ),
    RESTORE: "CREATE ROLE cockpit_restore LOGIN PASSWORD {password} CREATEDB",
}
LOGINS = {**ROLE_SQL, BARE: "CREATE ROLE cockpit_bare LOGIN PASSWORD {password}"}
GRANTS_IN_DATABASE = ("GRANT EXECUTE ON FUNCTION pg_stat_statements_reset TO cockpit_operator",)


@dataclass(frozen=True, slots=True)
class EstateRoles:
    server: SandboxPostgres
    passfile: Path
    passwords: dict[str, str]

    def dsn(self, role: str, database: str = DATABASE) -> str:
        return f"postgresql://{role}@127.0.0.1:{self.server.port}/{database}?passfile={self.passfile}"

    def database(self, role: str, name: str = DATABASE, database: str = DATABASE) -> Database:
        """A config's [[databases]] entry connecting as ``role``."""
        return Database(name=name, dsn=self.dsn(role, database))

    @property
    def superuser_dsn(self) -> str:
        return self.server.dsn(DATABASE)


def create_estate(server: SandboxPostgres, folder: Path) -> EstateRoles:
    """The roles and the ``estate`` database on ``server`` (once per server), and a passfile."""
    import psycopg
    from psycopg import sql as pgsql

    folder.mkdir(parents=True, exist_ok=True)
    passwords = {role: secrets.token_urlsafe(16) for role in LOGINS}
    passfile = folder / "pgpass"
    passfile.write_text("".join(f"127.0.0.1:{server.port}:*:{r}:{p}\n" for r, p in passwords.items()))
    passfile.chmod(0o600)  # libpq ignores a passfile others can read
    with psycopg.connect(server.dsn("postgres"), autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)).fetchone():
            for role, password in passwords.items():  # a second fixture on the same server
                admin.execute(
                    pgsql.SQL("ALTER ROLE {} PASSWORD {}").format(
                        pgsql.Identifier(role), pgsql.Literal(password)
                    )
                )
            return EstateRoles(server, passfile, passwords)
        admin.execute(f"CREATE ROLE {OWNER} NOLOGIN".encode())
        for role, statement in LOGINS.items():
            admin.execute(pgsql.SQL(statement).format(password=pgsql.Literal(passwords[role])))
            admin.execute(f"GRANT password_login TO {role}".encode())  # the sandbox's pg_hba group
        admin.execute(f"CREATE DATABASE {DATABASE} OWNER {OWNER}".encode())
    with psycopg.connect(server.dsn(DATABASE), autocommit=True) as conn:
        conn.execute(b"CREATE EXTENSION pg_stat_statements")  # untrusted: a superuser's job
        conn.execute(b"CREATE EXTENSION pgstattuple")
        for grant in GRANTS_IN_DATABASE:
            conn.execute(grant.encode())
        conn.execute(f"SET ROLE {OWNER}".encode())  # the application's tables are its owner's
        schema = resources.files("cockpit.sandbox").joinpath("schema.sql").read_text()
        conn.execute(_application_part(schema).encode())
    return EstateRoles(server, passfile, passwords)


def _application_part(schema: str) -> str:
    """The sandbox schema's tables and rows, without what needs a superuser (extensions, roles)."""
    kept = schema.partition("-- A login role whose password expires")[0]
    return "\n".join(line for line in kept.splitlines() if not line.startswith("CREATE EXTENSION"))
