"""The config file: TOML, strictly validated, with errors that name the file, key and line.

Search order: ``--config``, ``$COCKPIT_CONFIG``, then the platform config dir. Unknown keys are
errors (a typo must not pass silently) and a password written into the file is refused: secrets
are referenced as ``keyring:NAME`` and stored with ``cockpit secret set NAME``.

Each pane reads its own section of a target (``databases``, ``health``, ``backups``,
``certificates``, ``secrets``, ``maintenance_windows``, ``checklists``); thresholds default to the
runbooks' numbers and can be overridden globally or per target.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit

import msgspec

from cockpit.errors import ConfigError
from cockpit.paths import default_config_path
from cockpit.units import Duration

KEYRING_PREFIX = "keyring:"
_SECRET_HINT = "store it with `cockpit secret set NAME` and write `keyring:NAME` instead"


class _Section(msgspec.Struct, forbid_unknown_fields=True, kw_only=True, frozen=True):
    """Base of every config table: unknown keys are errors, fields are keyword-only."""


def _between(low: float, high: float) -> msgspec.Meta:
    """The range a number must lie in, checked by msgspec at load (the error names the key and
    its line). Every bound is what still makes sense: a refresh of 0 s spins, one of 1e308 s
    never comes, a statement_timeout beyond an hour is not a monitor's."""
    return msgspec.Meta(ge=low, le=high)


_Seconds = Annotated[float, _between(1, 86_400)]  # the panes' re-reads: a second to a day
_Milliseconds = Annotated[int, _between(1, 3_600_000)]  # a session's timeouts: up to an hour


def _require_secret_ref(value: str | None, key: str) -> None:
    if value is not None and not value.startswith(KEYRING_PREFIX):
        raise ValueError(f"`{key}` must not hold a secret in the config file: {_SECRET_HINT}")


def _require_longer_than_zero(value: Duration, key: str) -> None:
    """A 0 s window, schedule or retention means nothing the cockpit could act on."""
    if value <= timedelta(0):
        raise ValueError(f"`{key}` must be longer than 0s, got {str(value)!r}")


def _decode(kind: type, value: Any) -> Any:
    """msgspec's hook for the config's own types: a Duration from its text ("30m"); a text that
    is not one fails with parse_duration's message, which _convert places at its key."""
    if kind is Duration:
        if not isinstance(value, str):
            raise ValueError(f"expected a duration like 30s, 15m, 24h, 7d or 1h30m, got {value!r}")
        return Duration(value)
    raise NotImplementedError(kind)


class Settings(_Section, frozen=True):
    """How the cockpit behaves, whatever the target."""

    default_target: str | None = None
    refresh_interval_s: Annotated[float, _between(0.2, 3600)] = 2.0  # as --refresh
    statement_timeout_ms: _Milliseconds = 5000
    lock_timeout_ms: _Milliseconds = 1000
    explain_timeout_ms: _Milliseconds = 10000
    bloat_interval_s: _Seconds = 300
    bloat_exact_timeout_ms: Annotated[int, _between(1, 86_400_000)] = 60000  # a full scan: up to a day
    secrets_interval_s: _Seconds = 300
    backups_interval_s: _Seconds = 60
    connect_timeout_s: Annotated[int, _between(1, 300)] = 5
    # Every S3 and IAM call: connecting, then each read of the answer, then the attempts in all
    # (botocore's "standard" retries). A frozen endpoint costs at most about
    # attempts x (connect + read) seconds: 2 x (5 + 10) by default, then an UNKNOWN naming it.
    s3_connect_timeout_s: Annotated[float, _between(0.1, 300)] = 5
    s3_read_timeout_s: Annotated[float, _between(0.1, 3600)] = 10
    s3_max_attempts: Annotated[int, _between(1, 10)] = 2
    http_concurrency: Annotated[int, _between(1, 1024)] = 32
    history_retention: Duration = Duration("7d")
    history_max_samples: Annotated[int, _between(1, 10_000_000)] = 20000
    checklists_dir: str | None = None  # your own checklists (*.toml); default: the config dir's checklists/
    checklist_commands: bool = False  # run a command step's command (else it is shown for copying)
    window_warning: Duration = Duration(
        "15m"
    )  # warn this long before a maintenance window closes (red in the last third)

    def __post_init__(self) -> None:
        _require_longer_than_zero(self.history_retention, "history_retention")  # window_warning 0s: none


class Thresholds(_Section, frozen=True):
    """Alert thresholds; defaults are the runbooks' numbers."""

    slow_query_ms: float = 500
    mean_statement_alert_ms: float = 100
    latency_p95_warn_ms: float = 500
    latency_p95_crit_ms: float = 2000
    error_rate_warn_pct: float = 1
    error_rate_crit_pct: float = 5
    connections_warn_pct: float = 80
    connections_crit_pct: float = 95
    cert_warn_days: int = 30
    cert_crit_days: int = 7
    key_rotation_days: int = 90
    idle_in_transaction_warn_s: float = 300
    long_transaction_warn_s: float = 300
    dead_tuple_warn_pct: float = 20
    bloat_warn_pct: float = 30
    bloat_crit_pct: float = 60
    cache_hit_warn_pct: float = 95
    wraparound_warn_pct: float = 100
    wraparound_crit_pct: float = 500
    replication_lag_warn_s: float = 30
    replication_lag_crit_s: float = 300
    slot_retained_warn_mb: float = 1024


class ThresholdOverrides(_Section, frozen=True):
    """A target's ``[targets.NAME.thresholds]``: any of the thresholds, typed as they are (a
    misspelt one is an unknown key); None leaves the global value."""

    slow_query_ms: float | None = None
    mean_statement_alert_ms: float | None = None
    latency_p95_warn_ms: float | None = None
    latency_p95_crit_ms: float | None = None
    error_rate_warn_pct: float | None = None
    error_rate_crit_pct: float | None = None
    connections_warn_pct: float | None = None
    connections_crit_pct: float | None = None
    cert_warn_days: int | None = None
    cert_crit_days: int | None = None
    key_rotation_days: int | None = None
    idle_in_transaction_warn_s: float | None = None
    long_transaction_warn_s: float | None = None
    dead_tuple_warn_pct: float | None = None
    bloat_warn_pct: float | None = None
    bloat_crit_pct: float | None = None
    cache_hit_warn_pct: float | None = None
    wraparound_warn_pct: float | None = None
    wraparound_crit_pct: float | None = None
    replication_lag_warn_s: float | None = None
    replication_lag_crit_s: float | None = None
    slot_retained_warn_mb: float | None = None


# Thresholds once documented that nothing ever read (no probe measures disk use): a config that
# still sets one loads, and the value is dropped before validation (README: Configuration).
IGNORED_THRESHOLDS = ("disk_warn_pct",)


class Database(_Section, frozen=True):
    """A PostgreSQL database: a DSN without password, the password from the keyring."""

    name: str
    dsn: str
    password: str | None = None

    def __post_init__(self) -> None:
        _require_secret_ref(self.password, "password")
        _refuse_dsn_password(self.dsn, "dsn")


class HealthEndpoint(_Section, frozen=True):
    """An HTTP health endpoint (the runbooks' /api/health, /api/monitoring/health)."""

    name: str
    url: str
    method: Literal["GET", "HEAD", "POST"] = "GET"
    expect_status: Annotated[int, _between(100, 599)] = 200
    timeout_s: Annotated[float, msgspec.Meta(gt=0, le=300)] = 5.0
    interval_s: Annotated[float, _between(0.2, 86_400)] = 10.0  # 0 would poll as fast as the loop turns
    expect_json: dict[str, str | int | float | bool] = {}
    token: str | None = None
    verify_tls: bool = True
    ca_bundle: str | None = None

    def __post_init__(self) -> None:
        _require_secret_ref(self.token, "token")
        if urlsplit(self.url).scheme not in ("http", "https"):
            raise ValueError("`url` must start with http:// or https://")


class BackupStore(_Section, frozen=True):
    """Where backups go: an S3 bucket (any S3-compatible endpoint) or a folder."""

    name: str
    kind: Literal["s3", "folder"]
    database: str | None = None
    bucket: str | None = None
    prefix: str = ""
    endpoint_url: str | None = None
    region: str = "us-east-1"
    access_key_id: str | None = None
    secret_access_key: str | None = None
    path: str | None = None
    schedule: Duration = Duration("24h")
    rpo: Duration = Duration("24h")
    retention_days: Annotated[int, _between(1, 36_500)] = 7
    export_tables: list[str] = []  # schema.table names `e` / `backup export` copy out as CSV
    scratch_dsn: str | None = None  # where verification restores: default the backed-up server
    scratch_password: str | None = None
    # This store's S3 deadlines: default settings.s3_connect_timeout_s, s3_read_timeout_s and
    # s3_max_attempts (parse_config fills them in, so every S3 client of the store has them).
    connect_timeout_s: Annotated[float, _between(0.1, 300)] | None = None
    read_timeout_s: Annotated[float, _between(0.1, 3600)] | None = None
    max_attempts: Annotated[int, _between(1, 10)] | None = None

    def __post_init__(self) -> None:
        _require_secret_ref(self.access_key_id, "access_key_id")
        _require_secret_ref(self.secret_access_key, "secret_access_key")
        _require_secret_ref(self.scratch_password, "scratch_password")
        if self.scratch_dsn:
            _refuse_dsn_password(self.scratch_dsn, "scratch_dsn")
        _require_longer_than_zero(self.schedule, "schedule")
        _require_longer_than_zero(self.rpo, "rpo")
        if self.kind == "s3" and not self.bucket:
            raise ValueError("an s3 store needs `bucket`")
        if self.kind == "folder" and not self.path:
            raise ValueError("a folder store needs `path`")


class Certificate(_Section, frozen=True):
    """A TLS endpoint (https or postgres, with SNI) or a PEM file to watch for expiry."""

    name: str
    kind: Literal["https", "postgres", "file"] = "https"
    host: str | None = None
    port: Annotated[int, _between(1, 65_535)] | None = None
    server_name: str | None = None
    file: str | None = None
    ca_bundle: str | None = None  # a private CA's PEM file, to verify the chain against

    def __post_init__(self) -> None:
        if self.kind == "file" and not self.file:
            raise ValueError("a certificate of kind `file` needs `file`")
        if self.kind != "file" and not self.host:
            raise ValueError(f"a certificate of kind `{self.kind}` needs `host`")


class Secret(_Section, frozen=True):
    """An entry of the secrets inventory: where it lives and how often it must rotate."""

    name: str
    lives_in: str = "keyring"
    rotated_at: str | None = None
    policy_days: Annotated[int, _between(1, 36_500)] = 90
    grace: Duration = Duration("24h")  # 0s: revoke the old key at once


class Archive(_Section, frozen=True):
    """The runbooks' audit-log archive: rows older than ``older_than`` move to ``archive_table``."""

    name: str = "audit-log"
    database: str | None = None  # default: the target's first database
    table: str = "public.audit_log"
    archive_table: str = "public.audit_log_archive"
    column: str = "created_at"
    older_than: Duration = Duration("90d")
    batch_rows: int = 5000

    def __post_init__(self) -> None:
        _require_longer_than_zero(self.older_than, "older_than")
        for key in ("table", "archive_table"):
            if len(getattr(self, key).split(".")) > 2:
                raise ValueError(f"`{key}` is SCHEMA.TABLE or TABLE, not {getattr(self, key)!r}")
        if not 1 <= self.batch_rows <= 1_000_000:
            raise ValueError("`batch_rows` must be between 1 and 1,000,000")


class CloudKeys(_Section, frozen=True):
    """An AWS IAM user whose access keys' age and last use the Secrets pane watches."""

    name: str
    provider: Literal["aws"] = "aws"
    user_name: str | None = None  # default: the user the credentials belong to
    endpoint_url: str | None = None  # an IAM-compatible endpoint; default: AWS
    region: str = "us-east-1"
    access_key_id: str | None = None  # keyring refs; default: the standard AWS credential chain
    secret_access_key: str | None = None
    # As a backup store's: default settings.s3_connect_timeout_s, s3_read_timeout_s, s3_max_attempts.
    connect_timeout_s: Annotated[float, _between(0.1, 300)] | None = None
    read_timeout_s: Annotated[float, _between(0.1, 3600)] | None = None
    max_attempts: Annotated[int, _between(1, 10)] | None = None

    def __post_init__(self) -> None:
        _require_secret_ref(self.access_key_id, "access_key_id")
        _require_secret_ref(self.secret_access_key, "secret_access_key")


class MaintenanceWindow(_Section, frozen=True):
    """A recurring (weekly / monthly) or one-off window in which mutations are expected."""

    name: str
    weekly: str | None = None
    monthly: str | None = None
    at: str | None = None
    duration: Duration = Duration("2h")
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        _require_longer_than_zero(self.duration, "duration")
        given = [k for k in ("weekly", "monthly", "at") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError("give exactly one of `weekly`, `monthly` or `at`")
        # Parse now so a bad window is a config error, not a crash later.
        from cockpit.windows import schedule_of

        schedule_of(self)


class Target(_Section, frozen=True):
    """An environment (prod, staging...): what to watch there and how carefully."""

    description: str = ""
    protected: bool = False
    # protected: how long writes stay armed in the TUI once its name is typed (a minute to a day)
    arm_minutes: Annotated[float, _between(1, 1440)] = 15
    read_only: bool = False
    require_window: bool = False
    databases: list[Database] = []
    health: list[HealthEndpoint] = []
    backups: list[BackupStore] = []
    certificates: list[Certificate] = []
    secrets: list[Secret] = []
    cloud_keys: list[CloudKeys] = []
    maintenance_windows: list[MaintenanceWindow] = []
    archives: list[Archive] = []
    thresholds: ThresholdOverrides = ThresholdOverrides()
    # A checklist's run parameters on this target, by checklist id: the tables and the window a
    # built-in checklist works on here (``[targets.prod.checklist_params.weekly-db-cleanup]``).
    checklist_params: dict[str, dict[str, str]] = {}


class StateSettings(_Section, frozen=True):
    """Where checklist runs are journaled: the local state store, or a PostgreSQL database shared
    by several hosts (so an observer on another bastion follows the same run)."""

    url: str | None = None  # postgresql://... ; its password from the keyring
    password: str | None = None

    def __post_init__(self) -> None:
        _require_secret_ref(self.password, "password")
        if self.url:
            _refuse_dsn_password(self.url, "url")


class _RawConfig(_Section, frozen=True):
    settings: Settings = Settings()
    state: StateSettings = StateSettings()
    thresholds: Thresholds = Thresholds()
    targets: dict[str, dict[str, Any]] = {}


class Config(msgspec.Struct, frozen=True, kw_only=True):
    """A validated config: settings, global thresholds and named targets."""

    path: Path | None
    settings: Settings
    thresholds: Thresholds
    targets: dict[str, Target]
    state: StateSettings = StateSettings()

    def target(self, name: str | None) -> tuple[str, Target]:
        """The target called ``name``, else the default one; a UsageError says which exist."""
        chosen = name or self.settings.default_target or next(iter(self.targets), None)
        if chosen is None:
            raise ConfigError(f"{self._where()}: no [targets.NAME] table: add one")
        if chosen not in self.targets:
            known = ", ".join(sorted(self.targets)) or "none"
            raise ConfigError(f"{self._where()}: no target {chosen!r} (configured: {known})")
        return chosen, self.targets[chosen]

    def with_refresh(self, seconds: float | None) -> Config:
        """This config with the live panes' refresh set from the command line (``--refresh``)."""
        if seconds is None:
            return self
        return msgspec.structs.replace(
            self, settings=msgspec.structs.replace(self.settings, refresh_interval_s=seconds)
        )

    def thresholds_for(self, target: Target) -> Thresholds:
        """Global thresholds with the target's overrides applied."""
        given = msgspec.structs.asdict(target.thresholds)
        return msgspec.structs.replace(self.thresholds, **{k: v for k, v in given.items() if v is not None})

    def _where(self) -> str:
        return str(self.path) if self.path else "config"


# libpq's keywords that hold a secret: the server password and the client key's passphrase.
SECRET_CONNINFO_KEYS = ("password", "sslpassword")
# A URI's ``user:password@``: a colon between the scheme's ``//`` and the first ``@``.
_URI_USERINFO_COLON = re.compile(r"^[a-z]+://[^@]*:[^@]*@", re.I)


def _refuse_dsn_password(dsn: str, key: str) -> None:
    """Refuse a DSN from which libpq would read a password. libpq's own parser decides (psycopg's
    ``conninfo_to_dict``), so a key/value DSN holding ``://`` or a URI's ``?pass%77ord=`` cannot
    slip past a guess at its form; one it cannot parse is refused too, since nothing can tell.

    Importing psycopg must stay off the TUI's first frame's path; so libpq is asked only
    when it could find a password at all: the word ``password`` somewhere in the text once
    percent-decoded (every key/value keyword and URI parameter that holds one contains it), or
    a URI whose part before ``@`` has a colon (``user:password@``). Neither message quotes the
    DSN: it may hold the password."""
    from urllib.parse import unquote

    if "password" not in unquote(dsn).lower() and not _URI_USERINFO_COLON.match(dsn.strip()):
        return
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    try:
        params = conninfo_to_dict(dsn)
    except ProgrammingError:
        raise ValueError(
            f"`{key}` may hold a password and libpq cannot parse it: fix it (no password in it), "
            f"then {_SECRET_HINT}"
        ) from None
    if any(params.get(name) for name in SECRET_CONNINFO_KEYS):
        raise ValueError(f"`{key}` contains a password: remove it, then {_SECRET_HINT}")


def find_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the config file by the search order; a missing explicit file is an error."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get("COCKPIT_CONFIG")
    if from_env:
        return Path(from_env)
    return default_config_path()


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the config; every failure is a ConfigError with file, key and line."""
    resolved = find_config_path(path)
    try:
        data = resolved.read_bytes()
    except FileNotFoundError:
        raise ConfigError(
            f"{resolved}: config file not found: copy config.example.toml there, "
            "pass --config PATH, or try `cockpit demo`"
        ) from None
    except OSError as exc:
        raise ConfigError(f"{resolved}: cannot read config: {exc.strerror}") from None
    return parse_config(decode_text(data, str(resolved), ConfigError), resolved)


_E = TypeVar("_E", bound=Exception)


def decode_text(data: bytes, where: str, error: type[_E]) -> str:
    """A TOML file's bytes as text; ``error`` (with the line) when they are not UTF-8, as binary
    garbage or a file saved in another encoding is not (TOML is UTF-8 by definition)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{where}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x}): a TOML file is UTF-8; "
            "save it as UTF-8, or check that it is the file you meant"
        ) from None


def parse_config(text: str, path: Path | None = None) -> Config:
    """Validate TOML text; ``path`` only labels the errors."""
    where = str(path) if path else "config"
    try:
        data = tomllib.loads(text)
        _drop_ignored_thresholds(data)
        raw = _convert(data, _RawConfig, "", text, where)
        targets = {
            name: _convert(body, Target, f"targets.{name}", text, where) for name, body in raw.targets.items()
        }
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None
    except RecursionError:  # tomllib and msgspec recurse per level: `a = [[[[...` ends here
        raise ConfigError(
            f"{where}: arrays or tables nested too deeply to read: a config is a few levels deep"
        ) from None
    for name, target in targets.items():
        _check_unique_names(target, name, text, where)
    targets = {name: _with_s3_deadlines(target, raw.settings) for name, target in targets.items()}
    config = Config(
        path=path, settings=raw.settings, thresholds=raw.thresholds, targets=targets, state=raw.state
    )
    if raw.settings.default_target is not None and raw.settings.default_target not in targets:
        line = _line_of(text, "settings.default_target")
        raise ConfigError(
            f"{where}{line}: settings.default_target: no target {raw.settings.default_target!r} is configured"
        )
    return config


_S3Entry = TypeVar("_S3Entry", BackupStore, CloudKeys)


def _with_s3_deadlines(target: Target, settings: Settings) -> Target:
    """The target with every backup store's and cloud-keys entry's S3/IAM deadlines set: its own
    keys where given, else the settings'. Whoever builds a client from an entry has them."""

    def filled(entry: _S3Entry) -> _S3Entry:
        return msgspec.structs.replace(
            entry,
            connect_timeout_s=entry.connect_timeout_s or settings.s3_connect_timeout_s,
            read_timeout_s=entry.read_timeout_s or settings.s3_read_timeout_s,
            max_attempts=entry.max_attempts or settings.s3_max_attempts,
        )

    return msgspec.structs.replace(
        target,
        backups=[filled(store) for store in target.backups],
        cloud_keys=[filled(entry) for entry in target.cloud_keys],
    )


def _check_unique_names(target: Target, name: str, text: str, where: str) -> None:
    """Within a target, each list's entries have names of their own: panes, history and actions
    find a database, an endpoint or a store by its name, so a second one of the same name would be
    silently shadowed (its samples mixed into the first's)."""
    for key in ("databases", "health", "backups", "certificates", "secrets", "cloud_keys",
                "maintenance_windows", "archives"):  # fmt: skip
        first: dict[str, int] = {}
        for index, entry in enumerate(getattr(target, key)):
            if entry.name in first:
                path = f"targets.{name}.{key}[{index}].name"
                raise ConfigError(
                    f"{where}{_line_of(text, path)}: {path}: {entry.name!r} is already the name of "
                    f"{key}[{first[entry.name]}]: give each its own name"
                )
            first[entry.name] = index


def _refuse_non_finite(data: Any, text: str, where: str) -> None:
    """TOML has ``nan`` and ``inf``: neither is a threshold, an interval or a timeout (nan
    compares false with every bound, so a refresh of nan would pass and Health say starting...
    forever). Refused wherever they are, with their key."""
    pending: list[tuple[str, Any]] = [("", data)]
    while pending:
        path, node = pending.pop()
        if isinstance(node, float) and not math.isfinite(node):
            raise ConfigError(f"{where}{_line_of(text, path)}: {path}: {node} is not a finite number")
        if isinstance(node, dict):
            pending += [(f"{path}.{k}" if path else str(k), v) for k, v in node.items()]
        elif isinstance(node, list):
            pending += [(f"{path}[{i}]", v) for i, v in enumerate(node)]


def _drop_ignored_thresholds(data: dict[str, Any]) -> None:
    """Remove IGNORED_THRESHOLDS from ``[thresholds]`` and every target's overrides."""
    targets = data.get("targets")
    tables = [data.get("thresholds")]
    if isinstance(targets, dict):
        tables += [body.get("thresholds") for body in targets.values() if isinstance(body, dict)]
    for table in tables:
        if isinstance(table, dict):
            for key in IGNORED_THRESHOLDS:
                table.pop(key, None)


_T = TypeVar("_T")
_LOCATION = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)


_BOUND = re.compile(r"^Expected `(?:int|float)` (>=|<=|>|<) (\S+)$")
_BOUND_WORDS = {">=": "at least", "<=": "at most", ">": "more than", "<": "less than"}


def _convert(data: Any, kind: type[_T], prefix: str, text: str, where: str) -> _T:
    if not prefix:
        _refuse_non_finite(data, text, where)
    try:
        return msgspec.convert(data, kind, dec_hook=_decode)
    except msgspec.ValidationError as exc:
        match = _LOCATION.match(str(exc))
        assert match is not None
        message = match.group("msg")
        path = prefix + (match.group("path") or "")
        unknown = re.search(r"unknown field `([^`]+)`", message)
        if unknown:
            path = f"{path}.{unknown.group(1)}" if path else unknown.group(1)
            message = "unknown key (a typo? config.example.toml lists every key)"
        missing = re.search(r"missing required field `([^`]+)`", message)
        if missing:
            message = f"required key `{missing.group(1)}` is missing"
        bound = _BOUND.match(message)
        if bound:  # a range of _between: "must be at most 3600"
            message = f"must be {_BOUND_WORDS[bound.group(1)]} {float(bound.group(2)):g}"
        path = path.lstrip(".")
        label = f"{path}: " if path else ""
        raise ConfigError(f"{where}{_line_of(text, path)}: {label}{message}") from None


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"^\s*([A-Za-z0-9_.\"' -]+?)\s*=")


def _dotted(name: str) -> str:
    return ".".join(part.strip().strip("\"'") for part in name.split("."))


def _line_of(text: str, path: str) -> str:
    """Best-effort ``:LINE`` of a key path like ``targets.prod.databases[1].dsn``.

    tomllib reports positions only for syntax errors, so validation errors find their line by
    walking table headers (counting ``[[array]]`` entries) and keys.
    """
    if not path:
        return ""
    counts: dict[str, int] = {}
    table = ""
    enclosing = 0
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            table = _dotted(header.group(2))
            if header.group(1) == "[[":
                index = counts.get(table, 0)
                counts[table] = index + 1
                table = f"{table}[{index}]"
            if table == path:
                return f":{number}"
            continue
        key = _KEY.match(line)
        if key:
            full = f"{table}.{_dotted(key.group(1))}" if table else _dotted(key.group(1))
            if full == path:
                return f":{number}"
            if path.startswith((full + ".", full + "[")) and not enclosing:
                enclosing = number
    if enclosing:
        return f":{enclosing}"
    parent = re.sub(r"(\[\d+\]|\.[^.\[]+)$", "", path)
    return _line_of(text, parent) if parent != path else ""
