"""The deadlines and bounded retries every S3 and IAM client is built with.

botocore's own defaults wait 60 s for each read of an answer and retry, so a frozen S3 endpoint
(its process stopped) would keep `cockpit backup list` and the TUI silent for minutes: a monitor
must say a store does not answer within its own deadlines. Every client the cockpit builds
(backup stores, the Secrets pane's IAM reads) takes its connect and read timeouts and its
attempts from the entry's config, which ``config.parse_config`` fills from ``settings.s3_*``; a
call that gets no answer in time is ``unanswered``: the store's state is then unknown, not bad.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cockpit.config import BackupStore, CloudKeys


@dataclass(frozen=True, slots=True)
class Deadlines:
    connect_timeout_s: float
    read_timeout_s: float
    max_attempts: int

    @classmethod
    def of(cls, entry: BackupStore | CloudKeys) -> Deadlines:
        """The entry's deadlines; the settings' defaults for one built without parse_config."""
        from cockpit.config import Settings

        defaults = Settings()
        return cls(
            entry.connect_timeout_s or defaults.s3_connect_timeout_s,
            entry.read_timeout_s or defaults.s3_read_timeout_s,
            entry.max_attempts or defaults.s3_max_attempts,
        )

    def client_config(self, **options: Any) -> Any:
        """A ``botocore.config.Config`` with these deadlines (and ``options``, e.g. pool size).
        "standard" retries: ``max_attempts`` counts every attempt, the first one included."""
        from botocore.config import Config

        return Config(
            connect_timeout=self.connect_timeout_s,
            read_timeout=self.read_timeout_s,
            retries={"max_attempts": self.max_attempts, "mode": "standard"},
            **options,
        )

    def no_answer(self, error: BaseException) -> str:
        """What a timeout means, in words: which wait ran out, and after how many attempts."""
        from botocore.exceptions import ConnectTimeoutError

        if isinstance(error, ConnectTimeoutError):
            waited = f"could not connect within {self.connect_timeout_s:g}s"
        else:
            waited = f"no answer within {self.read_timeout_s:g}s"
        tries = f"{self.max_attempts} attempts" if self.max_attempts > 1 else "1 attempt"
        return f"{waited} ({tries}; settings.s3_connect_timeout_s, s3_read_timeout_s, s3_max_attempts)"


def unanswered(error: BaseException) -> bool:
    """A connect or read timeout: the endpoint is there but does not answer (frozen, overloaded,
    or a network that drops packets)."""
    from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError

    return isinstance(error, ConnectTimeoutError | ReadTimeoutError)
