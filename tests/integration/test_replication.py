"""Replication lag as a real streaming standby shows it: none when it has replayed all it
received, the real lag when replay falls behind.

A caught-up standby was reported `replay lag 662s` CRIT: the lag was `now() -
pg_last_xact_replay_timestamp()`, the age of the last transaction replayed, which grows for as
long as the primary writes nothing. The primary here is quiet unless a test writes.
"""

from __future__ import annotations

import time

import pytest

from cockpit.config import Database, Thresholds
from cockpit.db.sessions import SessionPolicy
from cockpit.model import Finding, Severity
from cockpit.probes.postgres import PgHealthMonitor, judge
from cockpit.probes.rows import PgHealth
from tests.estate_standby import StreamingPair

pytestmark = pytest.mark.integration

QUIET_S = 3.0  # how long the primary writes nothing before the caught-up standby is read


async def read_standby(pair: StreamingPair) -> tuple[PgHealth, Finding]:
    monitor = PgHealthMonitor(Database(name="standby", dsn=pair.standby.dsn("postgres")), SessionPolicy())
    try:
        reading = await monitor.read()
    finally:
        await monitor.aclose()
    # Thresholds a few seconds long, so a false lag of a few seconds shows as it did at 662 s.
    thresholds = Thresholds(replication_lag_warn_s=1, replication_lag_crit_s=2)
    return reading, next(f for f in judge(reading, thresholds) if f.check == "postgres.replication")


async def test_a_caught_up_standby_of_a_quiet_primary_has_no_lag(streaming_standby: StreamingPair) -> None:
    streaming_standby.wait_until_replayed(streaming_standby.write_on_primary())
    time.sleep(QUIET_S)  # the primary writes nothing: the last replayed transaction ages
    reading, finding = await read_standby(streaming_standby)
    assert reading.standby
    assert reading.replay_lag_s == 0, reading
    assert finding.severity is Severity.OK and finding.message == "standby, caught up (replay lag 0s)"


async def test_replay_paused_while_the_primary_writes_is_lag(streaming_standby: StreamingPair) -> None:
    pair = streaming_standby
    pair.wait_until_replayed(pair.write_on_primary())
    pair.on_standby("SELECT pg_wal_replay_pause()")
    try:
        paused_at = time.monotonic()
        for _ in range(3):  # the primary goes on writing; the standby receives but does not replay
            time.sleep(1)
            pair.write_on_primary()
        reading, finding = await read_standby(pair)
        behind = time.monotonic() - paused_at
    finally:
        pair.on_standby("SELECT pg_wal_replay_resume()")
    assert reading.replay_lag_s is not None and behind - 1 <= reading.replay_lag_s <= behind + 2, reading
    assert finding.severity is Severity.CRIT and finding.message.startswith("standby, replay lag ")


async def test_a_standby_whose_primary_stopped_is_not_caught_up(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The primary goes away (stopped for real): the standby has replayed all it received, and
    used to read "caught up" for as long as the primary was gone. Its WAL receiver is no longer
    streaming, and the finding says so. A pair of its own: the shared one's primary must stay up."""
    from tests.estate_standby import start_streaming_pair

    pair = start_streaming_pair(tmp_path)
    try:
        reading, finding = await read_standby(pair)
        assert reading.wal_receiver == "streaming" and finding.severity is Severity.OK, finding
        pair.primary.stop()
        deadline = time.monotonic() + 30
        while True:  # the receiver notices the primary's end within a moment, then retries
            reading, finding = await read_standby(pair)
            if reading.receiver_lost or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert reading.replay_lag_s == 0  # all it received is replayed: the old "caught up"
        assert finding.severity is Severity.WARN, finding
        assert finding.message.startswith("standby, WAL receiver "), finding
        assert finding.message.endswith(": no WAL arriving from the primary, lag unknown"), finding
    finally:
        pair.stop()
