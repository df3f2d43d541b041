"""The S3 store's timestamp parser: what S3 lists, read as botocore's own parser reads it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from botocore.utils import parse_timestamp as botocore_parse_timestamp

from cockpit.backups.store import parse_timestamp


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-23T10:00:00.000Z",  # list_objects_v2's LastModified (AWS, SeaweedFS, MinIO)
        "2026-11-23T10:00:00Z",
        "2026-11-23T10:00:00.123456Z",
        "2026-11-23T10:00:00.123456789Z",  # more digits than microseconds: cut, as botocore does
        "2026-11-23T10:00:00.5+00:00",
        "2026-11-23T11:00:00+01:00",
        "Mon, 23 Nov 2026 10:00:00 GMT",  # an HTTP date (a header): botocore's parser
        "1795428000",  # epoch seconds as text: botocore's parser
    ],
)
def test_the_same_instant_as_botocores_parser(text: str) -> None:
    ours, theirs = parse_timestamp(text), botocore_parse_timestamp(text)
    assert ours == theirs and ours.utcoffset() is not None


def test_numbers_and_isoformat_lookalikes_go_to_botocore() -> None:
    assert parse_timestamp(1795428000) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert parse_timestamp("20261123") == datetime(1970, 8, 23, 12, 5, 23, tzinfo=UTC)  # epoch seconds
