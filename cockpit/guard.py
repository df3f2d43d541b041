"""The action guard: the only way the cockpit changes anything.

Every action (VACUUM, backup, cancel backend, record a rotation...) is an ``ActionRequest`` that
passes ``Guard.begin``, which

1. refuses every mutating action in read-only mode, with the reason (an observer's, or a protected
   target's in the TUI until its writes are armed: the target's name typed, for N minutes);
2. requires the confirmation the screen obtained: a yes, or for a protected target the target's
   name typed back;
3. refuses mutations outside a maintenance window on targets that require one;
4. writes an audit record when the action starts and when it ends (refusals included), with
   who, from where, the target, the action, its parameters (secrets redacted), times and result.

The action itself receives an ``ActionContext`` to report progress and to notice cancellation.
Screens ask ``Guard.offers`` before showing an action at all: observers are never offered one.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from cockpit.actor import Actor
from cockpit.errors import ActionCancelled, ActionRefused
from cockpit.redact import redact, redact_params
from cockpit.state import AuditResult, StateStore
from cockpit.windows import WindowState, window_state

_R = TypeVar("_R")


class ConfirmationKind(enum.Enum):
    """What the screen must obtain before running an action."""

    NONE = "none"  # a non-mutating action
    YES = "yes"  # a plain yes
    TYPED = "typed"  # the target's name typed back (protected targets)


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One action on one target, as the operator asked for it."""

    action: str
    summary: str
    params: Mapping[str, Any] = field(default_factory=dict)
    mutating: bool = True
    details: tuple[str, ...] = ()  # what the confirmation lists, one item a line
    # What the items of ``details`` are when they are the exact set the action touches
    # ("sessions", "backups"): the confirmation then says "exactly these N sessions:". Empty when
    # they are facts about one change (a lock it takes, the disk it needs).
    listing: str = ""
    # The confirmation's buttons, named by their effect ("Terminate 1072", "Keep it"): a dialog
    # that says "Run" / "Cancel" can be misread at 3 a.m.; one that says what happens cannot.
    button: str = "Run"
    keep: str = "Cancel"
    # False when the action only reads the target (a backup, an export) or changes a store, not
    # the target: a target's require_window does not hold it back (a window is for changes; a
    # backup is what an operator wants at any hour). A checklist step's window_only still does.
    changes_target: bool = True


@dataclass(frozen=True, slots=True)
class Confirmation:
    """What the operator answered: ``typed`` is the text typed for protected targets."""

    confirmed: bool
    typed: str = ""


@dataclass(frozen=True, slots=True)
class ProgressUpdate:
    fraction: float | None
    message: str


class CancelToken:
    """Set by the UI, polled by the action between steps (or passed to a server-side cancel)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self._callbacks: list[Callable[[], None]] = []

    def cancel(self) -> None:
        self._event.set()
        for callback in list(self._callbacks):
            callback()

    def on_cancel(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` on cancel (e.g. psycopg's ``connection.cancel``)."""
        self._callbacks.append(callback)
        if self._event.is_set():
            callback()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise ActionCancelled("cancelled by the operator")


@dataclass
class Arming:
    """A protected target's writes in the TUI: off until armed (its name typed), then on for a
    while. Shared by a guard and its variants, so disarming reaches every one of them."""

    minutes: float = 15
    until: float | None = None  # time.monotonic() when the writes lapse

    @property
    def armed(self) -> bool:
        return self.until is not None and time.monotonic() < self.until

    @property
    def seconds_left(self) -> float:
        return max(0.0, self.until - time.monotonic()) if self.until is not None else 0.0


@dataclass
class ActionContext:
    """Handed to a running action: report progress, watch for cancellation."""

    request: ActionRequest
    target: str
    actor: Actor
    cancel: CancelToken
    on_progress: Callable[[ProgressUpdate], None] | None = None
    result_detail: str = ""

    def progress(self, message: str, fraction: float | None = None) -> None:
        self.cancel.raise_if_cancelled()
        if self.on_progress is not None:
            self.on_progress(ProgressUpdate(fraction, redact(message)))


class Guard:
    """Guards one target. Built once per target by the app or the CLI and shared by all panes."""

    def __init__(
        self,
        *,
        target: str,
        store: StateStore,
        read_only: bool,
        protected: bool = False,
        require_window: bool = False,
        windows: Callable[[], WindowState] | None = None,
        actor: Actor | None = None,
        arming: Arming | None = None,
        window_rule: str = "",
    ) -> None:
        self.target = target
        self.store = store
        self.observer = read_only  # fixed for the session: --read-only, or the target's read_only
        self.arming = arming  # None: no arming (the CLI, whose --confirm NAME arms one command)
        self.protected = protected
        self.require_window = require_window
        # Who requires the window, named in the refusal: the target by default, or e.g. a
        # checklist step that is window_only (the operator must know which rule to look at).
        self.window_rule = window_rule
        self._windows = windows or (lambda: window_state(()))
        self.actor = actor or Actor.current()

    def variant(
        self,
        *,
        protected: bool | None = None,
        require_window: bool | None = None,
        windows: Callable[[], WindowState] | None = None,
        window_rule: str | None = None,
    ) -> Guard:
        """The same target, store, actor and read-only state, with these rules changed."""
        return Guard(
            target=self.target, store=self.store, read_only=self.observer,
            protected=self.protected if protected is None else protected,
            require_window=self.require_window if require_window is None else require_window,
            windows=windows or self._windows, actor=self.actor, arming=self.arming,
            window_rule=self.window_rule if window_rule is None else window_rule,
        )  # fmt: skip

    @property
    def read_only(self) -> bool:
        """No change can pass now: an observer, or writes not armed (or lapsed) where they must be."""
        return self.observer or (self.arming is not None and not self.arming.armed)

    # -- arming a protected target's writes (TUI) ----------------------------------------------

    def arm(self, typed: str) -> None:
        """Allow changes for ``arming.minutes``: the target's name typed back; audited either way."""
        if self.arming is None:
            raise ActionRefused(f"{self.target} needs no arming")
        minutes = self.arming.minutes
        reason = None
        if self.observer:
            reason = f"read-only mode: writes on {self.target} cannot be armed"
        elif typed.strip() != self.target:
            reason = f"type the target's name ({self.target!r}) to arm its writes"
        audit_id = self._audit_start("target.arm", {"minutes": minutes})
        if reason is not None:
            self.store.audit_end(audit_id, AuditResult.REFUSED, reason)
            raise ActionRefused(reason)
        self.arming.until = time.monotonic() + minutes * 60
        self.store.audit_end(audit_id, AuditResult.OK, f"writes armed for {minutes:g} min")

    def disarm(self, why: str) -> None:
        """Back to read-only (by the operator, or the time ran out); audited."""
        if self.arming is None or self.arming.until is None:
            return
        self.arming.until = None
        audit_id = self._audit_start("target.disarm", {})
        self.store.audit_end(audit_id, AuditResult.OK, why)

    def _audit_start(self, action: str, params: dict[str, Any]) -> int:
        return self.store.audit_start(
            actor=self.actor.user,
            sudo_user=self.actor.sudo_user,
            ssh_client=self.actor.ssh_client,
            host=self.actor.host,
            target=self.target,
            action=action,
            params=redact_params(params),
        )

    # -- what the UI asks before offering anything --------------------------------------------

    def offers(self, request: ActionRequest) -> bool:
        """Whether a screen may show this action at all (never a mutation to an observer)."""
        return not (request.mutating and self.read_only)

    def confirmation_needed(self, request: ActionRequest) -> ConfirmationKind:
        if not request.mutating:
            return ConfirmationKind.NONE
        return ConfirmationKind.TYPED if self.protected else ConfirmationKind.YES

    def refusal(self, request: ActionRequest, confirmation: Confirmation | None) -> str | None:
        """Why the guard would refuse, or None. Pure: no audit record."""
        if not request.mutating:
            return None
        if self.observer:
            return f"read-only mode: {request.action} on {self.target} changes things and is refused"
        if self.read_only:
            return f"{self.target} is protected: arm its writes first (A, then type its name)"
        if confirmation is None or not confirmation.confirmed:
            return f"{request.action} needs a confirmation that was not given"
        if self.protected and confirmation.typed.strip() != self.target:
            return f"{self.target} is protected: type its name ({self.target!r}) to confirm {request.action}"
        if self.require_window and (request.changes_target or self.window_rule):
            state = self._windows()
            if not state.in_window and self.window_rule:
                return f"{self.window_rule}: outside the maintenance window ({state.describe()})"
            if not state.in_window:
                return f"{self.target} allows changes only in a maintenance window ({state.describe()})"
        return None

    # -- running --------------------------------------------------------------------------------

    @contextmanager
    def begin(
        self,
        request: ActionRequest,
        confirmation: Confirmation | None,
        *,
        cancel: CancelToken | None = None,
        on_progress: Callable[[ProgressUpdate], None] | None = None,
    ) -> Iterator[ActionContext]:
        """Check, audit the start, yield a context, audit the end. Refusals are audited too, the
        guard's own and an ActionRefused raised by the action itself."""
        audit_id = self._audit_start(request.action, dict(request.params))
        reason = self.refusal(request, confirmation)
        if reason is not None:
            self.store.audit_end(audit_id, AuditResult.REFUSED, reason)
            raise ActionRefused(reason)
        context = ActionContext(
            request=request,
            target=self.target,
            actor=self.actor,
            cancel=cancel or CancelToken(),
            on_progress=on_progress,
        )
        try:
            yield context
        except ActionCancelled as exc:
            self.store.audit_end(audit_id, AuditResult.CANCELLED, redact(str(exc)))
            raise
        except ActionRefused as exc:  # the action refused itself (a checklist's SQL): a refusal too
            self.store.audit_end(audit_id, AuditResult.REFUSED, redact(str(exc)))
            raise
        except BaseException as exc:
            self.store.audit_end(audit_id, AuditResult.FAILED, redact(f"{type(exc).__name__}: {exc}"))
            raise
        self.store.audit_end(audit_id, AuditResult.OK, redact(context.result_detail))

    def run(
        self,
        request: ActionRequest,
        confirmation: Confirmation | None,
        action: Callable[[ActionContext], _R],
        **options: Any,
    ) -> _R:
        """Run a blocking action (in a thread worker) under the guard."""
        with self.begin(request, confirmation, **options) as context:
            return action(context)
