"""The Secrets pane on the real sandbox (its certificates, its expiring role, an overdue key);
snapshots of its tables at 80x24 and 160x48 on fixed data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from textual.app import App, ComposeResult
from textual.widgets import Button, ContentSwitcher, Label

from cockpit.checklists.journal import Journal
from cockpit.config import load_config
from cockpit.probes.certificates import CertificateReading
from cockpit.probes.cloud_keys import AccessKey
from cockpit.probes.secrets import RoleExpiry, SecretAge
from cockpit.sandbox.manager import Sandbox
from cockpit.state import Rotation
from cockpit.units import parse_time
from screens.app import CockpitApp
from screens.checklist_run import ChecklistRunScreen
from screens.confirm import ConfirmScreen
from screens.secrets_pane import SecretsPane
from tests.ui.conftest import wait_until
from widgets.secrets_tables import CertificatesTable, CloudKeysTable, InventoryTable, RolesTable


def text(cell: object) -> str:
    return str(cell)


async def test_certificates_inventory_and_roles_from_the_sandbox(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5")
        certificates = app.query_one(CertificatesTable)
        await wait_until(pilot, lambda: certificates.row_count == 3)
        assert list(certificates.row_keys) == ["failing", "slow", "healthy"]  # soonest first
        assert text(certificates.cell("failing", "left")) == "5d"
        assert text(certificates.cell("healthy", "verified")) == "yes"
        status = str(app.query_one("#secrets-status", Label).render())
        assert "3 certs, 1 secrets, 1 roles, 0 cloud keys" in status
        await pilot.press("v")
        assert app.query_one(SecretsPane).query_one(ContentSwitcher).current == "inventory"
        inventory = app.query_one(InventoryTable)
        # 100 days before the day the sandbox was set up: a session crossing midnight UTC reads 101.
        rotated_at = load_config(sandbox.config_path).target(None)[1].secrets[0].rotated_at
        assert rotated_at is not None
        age = (datetime.now(UTC) - parse_time(rotated_at)).days
        assert age in (100, 101) and text(inventory.cell("payments-api-key", "age")) == f"{age}d"
        await pilot.press("v")
        roles = app.query_one(RolesTable)
        assert text(roles.cell("app:reporting", "left")) == "4d"
        assert app.query_one(SecretsPane).view == "roles"
        keys = {binding.key for _, binding, enabled, *_ in app.active_bindings.values() if enabled}
        assert "v" in keys


async def test_rotate_starts_the_key_rotation_checklist_for_the_secret(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5", "v")
        inventory = app.query_one(InventoryTable)
        await wait_until(pilot, lambda: inventory.row_count == 1)
        assert "R" in {b.key for _, b, enabled, *_ in app.active_bindings.values() if enabled}
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))  # a run starts confirmed
        app.screen.query_one("#confirm-run", Button).press()
        await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        screen = app.screen
        assert isinstance(screen, ChecklistRunScreen) and screen.holding
        assert screen.state.checklist.id == "key-rotation"
        assert screen.state.info.params == {"secret": "payments-api-key"}
        await pilot.press("escape", "R")  # again: the rotation under way reopens, no second run
        await wait_until(pilot, lambda: isinstance(app.screen, ChecklistRunScreen))
        assert app.screen is not screen and app.screen.run_id == screen.run_id  # type: ignore[attr-defined]
    assert [r.id for r in Journal.local(store).runs()] == [screen.run_id]


async def test_observers_get_no_rotate_key(sandbox: Sandbox, store) -> None:
    app = CockpitApp(load_config(sandbox.config_path), store=store, read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("5", "v")
        await wait_until(pilot, lambda: app.query_one(InventoryTable).row_count == 1)
        assert "R" not in {b.key for _, b, enabled, *_ in app.active_bindings.values() if enabled}
        await pilot.press("R")
        await pilot.pause()
        assert not isinstance(app.screen, ChecklistRunScreen)
    assert Journal.local(store).runs() == []


NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def certificate(name: str, days: float, *, error: str = "", verify_error: str = "") -> CertificateReading:
    return CertificateReading(
        name=name, where=f"{name}.example.com:443", subject=f"CN={name}.example.com",
        sans=(f"{name}.example.com",), issuer="CN=Example CA", not_after=NOW + timedelta(days=days),
        key="EC secp256r1", verified=not verify_error, verify_error=verify_error, error=error,
    )  # fmt: skip


class SecretsTablesApp(App[None]):
    def compose(self) -> ComposeResult:
        yield CertificatesTable()
        yield InventoryTable()
        yield RolesTable()
        yield CloudKeysTable()

    def on_mount(self) -> None:
        self.query_one(CertificatesTable).show(
            [
                certificate("api", 60),
                certificate("db", 12),
                certificate("legacy", -3, verify_error="certificate has expired"),
                certificate("admin", 200, verify_error="Hostname mismatch, certificate is not valid for 'admin'"),
                CertificateReading(name="edge", where="edge.example.com:443", error="no TLS handshake within 5s"),
            ],
            now=NOW, warn=30, crit=7,
        )  # fmt: skip
        pending = Rotation(
            "ai-api-key", "2026-11-20T09:00:00+00:00", "alice", None, "2026-11-21T09:00:00+00:00", None
        )
        self.query_one(InventoryTable).show(
            [
                SecretAge(
                    "payments-api-key", "payment provider", 90, NOW - timedelta(days=100), "config", ()
                ),
                SecretAge("ai-api-key", "keyring", 90, NOW - timedelta(days=3), "alice", (pending,)),
                SecretAge("aws-deploy", "AWS IAM", 90, None, "", ()),
            ],
            now=NOW,
        )
        self.query_one(RolesTable).show(
            [RoleExpiry("app", "reporting", NOW + timedelta(days=4)), RoleExpiry("app", "etl", NOW + timedelta(days=45))],
            now=NOW, warn=30, crit=7,
        )  # fmt: skip
        self.query_one(CloudKeysTable).show(
            [
                AccessKey("deploy", "deploy-bot", "AKIA...7Q2X", True, NOW - timedelta(days=120), NOW - DAY, "s3"),
                AccessKey("deploy", "deploy-bot", "AKIA...K9LM", False, NOW - timedelta(days=400), None, ""),
                AccessKey("deploy", "deploy-bot", "AKIA...P0AB", True, NOW - timedelta(days=2), NOW, "sts"),
            ],
            now=NOW, policy=90,
        )  # fmt: skip


DAY = timedelta(days=1)


def test_secrets_tables_80x24(snap_compare) -> None:
    assert snap_compare(SecretsTablesApp(), terminal_size=(80, 24))


def test_secrets_tables_160x48(snap_compare) -> None:
    assert snap_compare(SecretsTablesApp(), terminal_size=(160, 48))
