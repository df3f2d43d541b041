"""The Secrets pane: certificates, the secrets inventory, login roles' expiry, cloud keys.

Expiry moves in days, so the pane reads every ``settings.secrets_interval_s`` (5 minutes) while on
screen, or on `r`: each read is one TLS handshake per endpoint (concurrent, one timeout at most),
one query per database, and the state store. `v` cycles the four views; the problem findings of
all three are counted on the status line. Rotation is recorded from the command line
(`cockpit secret rotate NAME`), which keeps no old value; the pane shows its effects, and `R` on
a secret starts (or reopens) the key-rotation checklist for it.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Label

from cockpit.checklists.library import load_library
from cockpit.errors import CockpitError
from cockpit.model import Severity
from cockpit.probes.secrets import SecretsReading, judge, read_secrets
from screens.cadence import SlowCadence
from screens.checklist_start import start_checklist
from screens.pane_env import PaneEnv
from screens.polling_pane import PollingPane
from widgets.secrets_tables import CertificatesTable, CloudKeysTable, InventoryTable, RolesTable
from widgets.status_line import StatusLine
from widgets.view_switcher import ViewSwitcher

VIEWS = ("certificates", "inventory", "roles", "cloud-keys")


class SecretsPane(PollingPane):
    BINDINGS = [
        Binding("v", "next_view", "View"),
        Binding("R", "rotate", "Rotate (checklist)"),
    ]

    DEFAULT_CSS = """
    SecretsPane > ViewSwitcher { height: 1fr; }
    SecretsPane PaneTable { height: 1fr; }
    """

    def __init__(self, env: PaneEnv, **kwargs: Any) -> None:
        super().__init__(env, **kwargs)
        self.view = VIEWS[0]
        self.reading: SecretsReading | None = None
        self._took_ms = 0.0

    def compose(self) -> ComposeResult:
        yield StatusLine("reading certificates, roles and the inventory...", id="secrets-status")
        with ViewSwitcher(initial="certificates"):
            yield CertificatesTable(id="certificates")
            yield InventoryTable(id="inventory")
            yield RolesTable(id="roles")
            yield CloudKeysTable(id="cloud-keys")

    def on_mount(self) -> None:
        every = SlowCadence(lambda: self.env.probe_context.settings.secrets_interval_s)
        self.poll(self._read_once, every, description="Reading certificates and secrets")

    async def _read_once(self) -> None:
        started = time.monotonic()
        try:
            self.reading = await read_secrets(self.env.probe_context)
        except Exception as exc:  # the next read may succeed: say why this one failed
            line = f"{type(exc).__name__}: {exc}".splitlines()[0]
            self.query_one("#secrets-status", Label).update(f"read failed: {line}")
        else:
            self._took_ms = (time.monotonic() - started) * 1000
            self._show()

    def _show(self) -> None:
        reading = self.reading
        if reading is None:
            return
        now = datetime.now(UTC)
        thresholds = self.env.probe_context.thresholds
        warn, crit = thresholds.cert_warn_days, thresholds.cert_crit_days
        self.query_one(CertificatesTable).show(reading.certificates, now=now, warn=warn, crit=crit)
        self.query_one(InventoryTable).show(reading.ages, now=now)
        self.query_one(RolesTable).show(reading.roles, now=now, warn=warn, crit=crit)
        self.query_one(CloudKeysTable).show(
            reading.cloud_keys.keys, now=now, policy=thresholds.key_rotation_days
        )
        self.query_one("#secrets-status", Label).update(self._status_line(reading, now))

    def _status_line(self, reading: SecretsReading, now: datetime) -> str:
        findings = judge(reading, self.env.probe_context.thresholds, now)
        crit = sum(1 for f in findings if f.severity is Severity.CRIT)
        warn = sum(1 for f in findings if f.severity is Severity.WARN)
        errors = "; ".join(
            f"{f.subject}: {f.message}" for f in [*reading.errors, *reading.cloud_keys.problems]
        )
        every = self.env.probe_context.settings.secrets_interval_s / 60
        # Most telling first: 80 columns cut the end of the line.
        return (
            f"{self.view}: {crit} crit, {warn} warn; {len(reading.certificates)} certs, "
            f"{len(reading.ages)} secrets, {len(reading.roles)} roles, "
            f"{len(reading.cloud_keys.keys)} cloud keys; "
            f"{self._took_ms:.0f} ms, every {every:g} min (r: now)" + (f"; {errors}" if errors else "")
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Rotation is for operators, on a secret of the inventory: absent otherwise."""
        if action == "rotate":
            return not self.env.observer and self.view == "inventory"
        return True

    def action_rotate(self) -> None:
        """Start (or reopen) the key-rotation checklist for the secret under the cursor."""
        secret = self.query_one(InventoryTable).selected_key()
        if secret is None:
            self.notify("no secret selected: the inventory lists them (settings in config)")
            return
        self._start_rotation(secret)

    @work(thread=True, group="secrets-rotate", exit_on_error=False)
    def _start_rotation(self, secret: str) -> None:
        try:
            checklist = load_library(self.env.probe_context.settings).get("key-rotation")
        except CockpitError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.app.call_from_thread(
            start_checklist, self, self.env, checklist, {"secret": secret}, reuse_running=True
        )

    def action_next_view(self) -> None:
        self.view = VIEWS[(VIEWS.index(self.view) + 1) % len(VIEWS)]
        self.query_one(ViewSwitcher).show(self.view)
        self.refresh_bindings()
        if self.reading is not None:
            self.query_one("#secrets-status", Label).update(
                self._status_line(self.reading, datetime.now(UTC))
            )
