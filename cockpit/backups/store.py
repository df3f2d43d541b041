"""Where backups live: an S3 bucket (any S3-compatible endpoint) or a folder (local disk, NFS).

Both offer the same few operations the Backups pane needs: list objects page by page, read and
write a small JSON manifest, stream an object in and out, delete. Writing is all-or-nothing:
an S3 multipart upload is aborted on failure or cancel, a folder write goes to a hidden
temporary name and is renamed into place, so a cancelled backup never shows up as one.
Every failure becomes a StoreError whose message says what to fix (credentials, bucket, path).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from cockpit.actor import process_running
from cockpit.aws_deadlines import Deadlines, unanswered
from cockpit.config import BackupStore
from cockpit.errors import CockpitError
from cockpit.paths import open_private, private_dir
from cockpit.secrets import credentials

# S3 allows 10,000 parts of at most 5 GiB; 16 MiB parts fit dumps up to 156 GiB, and the part
# size grows with the expected size beyond that. A part is held in memory while it uploads.
MIN_PART = 16 * 1024 * 1024
MAX_PARTS = 10_000


class StoreError(CockpitError):
    """A store could not be read or written; the message says what to fix.

    ``object_reason`` is set when the failure is one object's alone (its bytes, its permissions,
    gone since the listing), in a word or two (``not JSON``, ``AccessDenied``): the inventory
    marks that one backup and goes on. Empty when it is the store's (endpoint, credentials,
    bucket), which fails the whole inventory. ``unanswered``: the endpoint gave no answer within
    its deadlines (aws_deadlines), so what the store holds is unknown, not bad."""

    def __init__(self, message: str, *, object_reason: str = "", unanswered: bool = False) -> None:
        super().__init__(message)
        self.object_reason = object_reason
        self.unanswered = unanswered


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str  # relative to the store's prefix
    size: int
    modified: datetime


# An unfinished write is left behind by a writer that was killed (kill -9, OOM, a lost host):
# a folder's hidden temporary file, an S3 multipart upload (billed until aborted). It is stale,
# and safe to remove, once its writer is known to be gone (a folder's temporary file names its
# process and host), or nothing has been written to it for this long: a live backup writes
# every second, and a pg_dump waiting for a table's lock writes nothing, but not for hours.
STALE_AFTER = timedelta(hours=6)
PARTIAL_PREFIX = ".partial-"
_PARTIAL = re.compile(r"^\.partial-(?P<pid>\d+)\+(?P<host>[^+/]*)\+(?P<name>.+)$")


@dataclass(frozen=True, slots=True)
class Leftover:
    """What an interrupted write left in a store: removed by the next backup run."""

    key: str  # the key it was writing, relative to the store's prefix
    size: int
    since: datetime  # its last write
    why: str  # why it counts as abandoned ("its writer, pid 123 on db1, is gone")
    handle: str  # the temporary file's path, or the S3 upload id


class Sink(Protocol):
    """Where a download goes: a file, or anything that writes bytes (a hashing file)."""

    def write(self, data: bytes, /) -> object: ...


class Store(Protocol):
    name: str

    def pages(self) -> Iterator[list[StoredObject]]: ...
    def read_json(self, key: str) -> dict[str, Any]: ...
    def write_json(self, key: str, data: dict[str, Any]) -> None: ...
    def download(self, key: str, sink: Sink, *, chunk: int = 1 << 20) -> Iterator[int]: ...
    def upload(self, key: str, chunks: Iterable[bytes], *, expected_size: int = 0) -> int: ...
    def delete(self, key: str) -> None: ...
    def leftovers(self, now: datetime | None = None) -> list[Leftover]: ...
    def remove_leftover(self, leftover: Leftover) -> None: ...


def parse_timestamp(value: Any) -> datetime:
    """botocore's timestamp parser, made fast for what S3 lists: ``LastModified`` is ISO 8601
    (``2026-11-23T10:00:00.000Z``), which ``datetime.fromisoformat`` reads (the ``Z`` and any
    fraction of a second, from Python 3.11) far faster than botocore's dateutil, whose parse
    would take a large part of a large listing's time. Anything else (an HTTP date in a header,
    epoch seconds) goes to botocore's own parser."""
    if isinstance(value, str) and len(value) > 10 and value[10] == "T":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    from botocore.utils import parse_timestamp as botocore_parse_timestamp

    return botocore_parse_timestamp(value)  # type: ignore[no-any-return]


def part_size(expected_size: int) -> int:
    """A part size that keeps ``expected_size`` (with 50 % headroom) under S3's 10,000 parts."""
    needed = -(-int(expected_size * 1.5) // MAX_PARTS)
    return max(MIN_PART, -(-needed // (1 << 20)) * (1 << 20))


class S3Store:
    """A bucket and prefix; credentials from the keyring refs, else the standard AWS chain."""

    def __init__(self, config: BackupStore, *, client: Any = None) -> None:
        self.name = config.name
        self.bucket = config.bucket or ""
        self.prefix = config.prefix
        self._config = config
        self._client = client
        self._client_lock = threading.Lock()

    @property
    def client(self) -> Any:
        """Built on first use, then kept: a client is thread-safe (a session is not, and is used
        here only to build it). Keep the store to keep its client and connections."""
        with self._client_lock:
            if self._client is None:
                self._client = self._new_client()
            return self._client

    @property
    def endpoint(self) -> str:
        """The S3 endpoint's URL, whole: a message naming a frozen store must say where it is."""
        return self._config.endpoint_url or f"https://s3.{self._config.region}.amazonaws.com"

    @property
    def deadlines(self) -> Deadlines:
        return Deadlines.of(self._config)

    def _new_client(self) -> Any:
        import boto3
        import botocore.session

        config = self._config
        options: dict[str, Any] = {"region_name": config.region, "config": self.deadlines.client_config()}
        if config.endpoint_url:
            options["endpoint_url"] = config.endpoint_url
        if config.access_key_id and config.secret_access_key:
            options["aws_access_key_id"] = credentials.resolve(config.access_key_id)
            options["aws_secret_access_key"] = credentials.resolve(config.secret_access_key)
        core = botocore.session.get_session()
        # A session of our own, so only this store's clients parse timestamps our way.
        core.get_component("response_parser_factory").set_parser_defaults(timestamp_parser=parse_timestamp)
        return boto3.session.Session(botocore_session=core).client("s3", **options)

    def _errors(self, doing: str) -> _S3Errors:
        return _S3Errors(self, doing)

    def pages(self) -> Iterator[list[StoredObject]]:
        """Page by page (1,000 keys a page), so tens of thousands never block a screen."""
        with self._errors("listing"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                yield [
                    StoredObject(
                        o["Key"][len(self.prefix) :], int(o["Size"]), o["LastModified"].astimezone(UTC)
                    )
                    for o in page.get("Contents", [])
                ]

    def read_json(self, key: str) -> dict[str, Any]:
        with self._errors(f"reading {key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"].read()
        return _parse_manifest(body, key)

    def write_json(self, key: str, data: dict[str, Any]) -> None:
        with self._errors(f"writing {key}"):
            self.client.put_object(
                Bucket=self.bucket, Key=self.prefix + key, Body=json.dumps(data, indent=1).encode()
            )

    def download(self, key: str, sink: Sink, *, chunk: int = 1 << 20) -> Iterator[int]:
        with self._errors(f"downloading {key}"):
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"]
            while data := body.read(chunk):
                sink.write(data)
                yield len(data)

    def upload(self, key: str, chunks: Iterable[bytes], *, expected_size: int = 0) -> int:
        """A multipart upload in parts of ``part_size``; aborted (nothing visible) on any failure.

        A part is sent on a thread of its own while the next one fills: the dump is not held up
        while a part travels (the producer writes into a pipe that would otherwise stay full). At
        most one part is in flight and one filling, so memory stays at two parts.
        """
        from concurrent.futures import Future, ThreadPoolExecutor

        size = part_size(expected_size)
        with self._errors(f"uploading {key}"):
            upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=self.prefix + key)
        upload_id = upload["UploadId"]
        parts: list[dict[str, Any]] = []
        total = 0
        buffer = bytearray()
        in_flight: Future[None] | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="s3-part") as sender:

            def send(data: bytes) -> None:
                nonlocal in_flight
                if in_flight is not None:
                    in_flight.result()  # its failure is this upload's
                parts.append({})  # its place, filled in by the sender once S3 has the part
                in_flight = sender.submit(self._part, key, upload_id, parts, len(parts), data)

            try:
                with self._errors(f"uploading {key}"):
                    for data in chunks:
                        buffer += data
                        total += len(data)
                        while len(buffer) >= size:
                            # Copied once, from a view: a slice of the bytearray would be a
                            # second copy (a part's worth of memory more at the peak).
                            with memoryview(buffer) as view, view[:size] as head:
                                part = bytes(head)
                            send(part)
                            del buffer[:size]
                    if buffer or not parts:
                        send(bytes(buffer))
                    assert in_flight is not None
                    in_flight.result()
                    self.client.complete_multipart_upload(
                        Bucket=self.bucket,
                        Key=self.prefix + key,
                        UploadId=upload_id,
                        MultipartUpload={"Parts": parts},
                    )
            except BaseException:
                if in_flight is not None:
                    with contextlib.suppress(BaseException):  # ended before the abort, not after
                        in_flight.result()
                self._abort(key, upload_id)
                raise
        return total

    def _part(self, key: str, upload_id: str, parts: list[dict[str, Any]], number: int, data: bytes) -> None:
        done = self.client.upload_part(
            Bucket=self.bucket, Key=self.prefix + key, UploadId=upload_id, PartNumber=number, Body=data
        )
        parts[number - 1] = {"ETag": done["ETag"], "PartNumber": number}

    def _abort(self, key: str, upload_id: str) -> None:
        with contextlib.suppress(Exception):  # the original failure is what the operator must see
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=self.prefix + key, UploadId=upload_id)

    def delete(self, key: str) -> None:
        with self._errors(f"deleting {key}"):
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def leftovers(self, now: datetime | None = None) -> list[Leftover]:
        """Multipart uploads under the prefix with no part written for STALE_AFTER: an upload
        shows only when it began, so the parts of those begun that long ago are read (one
        request each) for their last write."""
        cutoff = (now or datetime.now(UTC)) - STALE_AFTER
        found = []
        with self._errors("listing unfinished uploads"):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    began = upload["Initiated"].astimezone(UTC)
                    if began > cutoff:
                        continue  # may well be a backup under way
                    key, upload_id = upload["Key"], upload["UploadId"]
                    parts = self.client.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id)
                    written = [p["LastModified"].astimezone(UTC) for p in parts.get("Parts", [])]
                    last = max([began, *written])
                    if last <= cutoff:
                        found.append(
                            Leftover(
                                key[len(self.prefix) :],
                                sum(int(p["Size"]) for p in parts.get("Parts", [])),
                                last,
                                f"an unfinished multipart upload, nothing written for over "
                                f"{STALE_AFTER.total_seconds() / 3600:g} h",
                                upload_id,
                            )
                        )
        return found

    def remove_leftover(self, leftover: Leftover) -> None:
        with self._errors(f"aborting the unfinished upload of {leftover.key}"):
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=self.prefix + leftover.key, UploadId=leftover.handle
            )


# Errors that are the store's, not one object's: every read would fail the same way.
_STORE_WIDE = frozenset(
    {"NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"}
)


class _S3Errors:
    """Turns botocore's errors into one line that says what to fix."""

    def __init__(self, store: S3Store, doing: str) -> None:
        self.store, self.doing = store, doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None or isinstance(exc, (StoreError, KeyboardInterrupt, GeneratorExit)):
            return
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        where = f"store {self.store.name} (s3://{self.store.bucket}/{self.store.prefix})"
        if unanswered(exc):  # botocore's own line has the object's URL, cut off on screen
            raise StoreError(
                f"{where} at {self.store.endpoint}: {self.doing}: {self.store.deadlines.no_answer(exc)}",
                unanswered=True,
            ) from None
        if isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            advice = {
                "NoSuchBucket": "no such bucket: check `bucket`",
                "AccessDenied": "access denied: grant s3:ListBucket, GetObject and PutObject",
                "InvalidAccessKeyId": "credentials refused: check access_key_id's keyring entry",
                "SignatureDoesNotMatch": "credentials refused: check secret_access_key's keyring entry",
                "NoSuchKey": "object not found",
                "404": "object not found",
            }.get(code, f"{code or 'error'}: {exc}".splitlines()[0])
            reason = "" if code in _STORE_WIDE else code or "error"
            raise StoreError(f"{where}: {self.doing}: {advice}", object_reason=reason) from None
        if isinstance(exc, NoCredentialsError):
            raise StoreError(
                f"{where}: no credentials: set access_key_id/secret_access_key (keyring refs) "
                "or the AWS credential chain"
            ) from None
        if isinstance(exc, BotoCoreError):
            raise StoreError(f"{where}: {self.doing}: {exc}") from None


class FolderStore:
    """A folder; keys are paths below it. Writes land under a hidden name, then are renamed."""

    def __init__(self, config: BackupStore) -> None:
        self.name = config.name
        self.root = Path(config.path or "") / config.prefix

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root.resolve()):
            raise StoreError(f"store {self.name}: key {key!r} is outside {self.root}")
        return path

    def pages(self) -> Iterator[list[StoredObject]]:
        """Every file but the hidden temporary ones (``leftovers`` finds those left behind)."""
        if not self.root.is_dir():
            raise StoreError(f"store {self.name}: folder {self.root} does not exist: create it or fix `path`")
        page: list[StoredObject] = []
        for path in sorted(self.root.rglob("*")):
            if path.is_file() and not path.name.startswith(PARTIAL_PREFIX):
                stat = path.stat()
                page.append(
                    StoredObject(
                        str(path.relative_to(self.root)),
                        stat.st_size,
                        datetime.fromtimestamp(stat.st_mtime, UTC),
                    )
                )
                if len(page) == 1000:
                    yield page
                    page = []
        yield page

    def read_json(self, key: str) -> dict[str, Any]:
        try:
            return _parse_manifest(self._path(key).read_bytes(), key)
        except OSError as exc:
            raise StoreError(
                f"store {self.name}: reading {key}: {exc.strerror}", object_reason=exc.strerror or "error"
            ) from None

    def write_json(self, key: str, data: dict[str, Any]) -> None:
        self.upload(key, [json.dumps(data, indent=1).encode()])

    def download(self, key: str, sink: Sink, *, chunk: int = 1 << 20) -> Iterator[int]:
        try:
            with self._path(key).open("rb") as source:
                while data := source.read(chunk):
                    sink.write(data)
                    yield len(data)
        except OSError as exc:
            raise StoreError(f"store {self.name}: reading {key}: {exc.strerror}") from None

    def upload(self, key: str, chunks: Iterable[bytes], *, expected_size: int = 0) -> int:
        target = self._path(key)
        # Its writer in its name, so a copy killed mid-write is known as abandoned (leftovers).
        partial = target.with_name(f"{PARTIAL_PREFIX}{os.getpid()}+{socket.gethostname()}+{target.name}")
        total = 0
        try:
            private_dir(target.parent)  # dumps and CSV exports hold customer data: 0700 / 0600
            with open_private(partial) as out:
                for data in chunks:
                    out.write(data)
                    total += len(data)
                out.flush()
                os.fsync(out.fileno())
            partial.rename(target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise StoreError(f"store {self.name}: writing {key}: {exc.strerror}") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        return total

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except OSError as exc:
            raise StoreError(f"store {self.name}: deleting {key}: {exc.strerror}") from None

    def leftovers(self, now: datetime | None = None) -> list[Leftover]:
        """Temporary files whose writer is gone (its pid, on this host, no longer runs), or that
        nothing has written to for STALE_AFTER (a writer on another host sharing the folder,
        or one named by an older version, which named no writer)."""
        if not self.root.is_dir():
            return []
        cutoff = (now or datetime.now(UTC)) - STALE_AFTER
        host = socket.gethostname()
        found = []
        for path in sorted(self.root.rglob(PARTIAL_PREFIX + "*")):
            try:
                stat = path.stat()
            except OSError:
                continue  # finished (renamed) or removed meanwhile
            written = datetime.fromtimestamp(stat.st_mtime, UTC)
            named = _PARTIAL.match(path.name)
            name = named.group("name") if named else path.name[len(PARTIAL_PREFIX) :]
            if named and named.group("host") == host and not process_running(int(named.group("pid"))):
                why = f"its writer, pid {named.group('pid')} on {host}, is gone"
            elif written <= cutoff:
                why = f"nothing written to it for over {STALE_AFTER.total_seconds() / 3600:g} h"
            else:
                continue
            key = str(path.with_name(name).relative_to(self.root))
            found.append(Leftover(key, stat.st_size, written, why, str(path)))
        return found

    def remove_leftover(self, leftover: Leftover) -> None:
        try:
            Path(leftover.handle).unlink(missing_ok=True)
        except OSError as exc:
            raise StoreError(f"store {self.name}: removing {leftover.handle}: {exc.strerror}") from None


def open_store(config: BackupStore) -> Store:
    return S3Store(config) if config.kind == "s3" else FolderStore(config)


def _parse_manifest(body: bytes, key: str) -> dict[str, Any]:
    """A manifest's JSON object; a StoreError with a short ``object_reason`` otherwise (empty,
    truncated or garbage bytes, or JSON that is not an object): that backup's alone."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):  # UnicodeDecodeError included; RecursionError: ``[[[[...``
        reason = "empty" if not body.strip() else "not JSON"
        raise StoreError(f"{key}: not a JSON manifest ({reason})", object_reason=reason) from None
    if not isinstance(data, dict):
        raise StoreError(f"{key}: not a JSON manifest (not an object)", object_reason="not an object")
    return data
