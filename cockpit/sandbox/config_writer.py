"""The config ``cockpit sandbox up`` writes: every pane has something real to look at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from cockpit.sandbox.s3 import BUCKET

if TYPE_CHECKING:
    from cockpit.sandbox.manager import SandboxStatus


def _target(name: str, body: str, status: SandboxStatus, endpoint: str, dsn: str) -> str:
    keys = ""
    if status.s3_credentials_in_keyring:
        keys = (
            'access_key_id = "keyring:sandbox-s3-access-key"\n'
            'secret_access_key = "keyring:sandbox-s3-secret-key"\n'
        )
    folder = status.folder
    health = "".join(
        f"""
[[targets.{name}.health]]
name = "{endpoint_name}"
url = "https://localhost:{port}/api/monitoring/health"
expect_json = {{ status = "ok", database = "connected" }}
ca_bundle = "{folder}/certs/ca.crt"
"""
        for endpoint_name, port in status.https_ports.items()
    )
    certificates = "".join(
        f"""
[[targets.{name}.certificates]]
name = "{endpoint_name}"
host = "localhost"
port = {port}
ca_bundle = "{folder}/certs/ca.crt"
"""
        for endpoint_name, port in status.https_ports.items()
    )
    rotated = (datetime.now(UTC) - timedelta(days=100)).date().isoformat()
    return f"""
[targets.{name}]
{body}
[[targets.{name}.databases]]
name = "app"
dsn = "{dsn}"
{health}
[[targets.{name}.backups]]
name = "s3"
kind = "s3"
database = "app"
bucket = "{BUCKET}"
prefix = "app/"
endpoint_url = "{endpoint}"
{keys}schedule = "24h"
rpo = "24h"
retention_days = 7
export_tables = ["public.feature_flags", "public.profiles"]

[[targets.{name}.backups]]
name = "folder"
kind = "folder"
database = "app"
path = "{folder}/backups-folder/app"
rpo = "24h"
{certificates}
[[targets.{name}.secrets]]
name = "payments-api-key"
lives_in = "payment provider"
rotated_at = "{rotated}"
policy_days = 90
grace = "24h"

[[targets.{name}.archives]]
name = "audit-log"
table = "public.audit_log"
archive_table = "public.audit_log_archive"
column = "created_at"
older_than = "90d"

[[targets.{name}.maintenance_windows]]
name = "weekly"
weekly = "sun 02:00"
duration = "2h"

[[targets.{name}.maintenance_windows]]
name = "monthly"
monthly = "first sun 02:00"
duration = "4h"

# Open from the sandbox's start, so the demo's maintenance checklists can be walked now.
[[targets.{name}.maintenance_windows]]
name = "sandbox"
at = "{status.started_at}"
duration = "30d"

# The tables and window the built-in maintenance checklists work on here (on your estate: yours).
[targets.{name}.checklist_params.weekly-db-cleanup]
tables = "public.audit_log, public.user_feedback"
window = "sandbox"

[targets.{name}.checklist_params.monthly-db-optimisation]
tables = "public.audit_log"
window = "sandbox"

[targets.{name}.checklist_params.maintenance-window]
window = "sandbox"
"""


def sandbox_config(status: SandboxStatus, endpoint: str, dsn: str) -> str:
    header = f"""# Written by `cockpit sandbox up` at {status.started_at} for the sandbox in {status.folder}.
# It is thrown away by `cockpit sandbox down`; see config.example.toml for every key.

[settings]
default_target = "sandbox"
refresh_interval_s = 2.0
"""
    return (
        header
        + _target("sandbox", 'description = "the embedded sandbox"', status, endpoint, dsn)
        + _target(
            "sandbox-protected",
            'description = "the same sandbox, guarded like production"\nprotected = true',
            status,
            endpoint,
            dsn,
        )
    )
