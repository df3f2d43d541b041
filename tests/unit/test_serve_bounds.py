"""`cockpit serve`'s bounds on what a browser tab asks for (the server itself: tests/e2e/test_serve.py)."""

from __future__ import annotations

import pytest

from cockpit.serve.bounded_server import MAX_SIZE, MIN_SIZE, clamp_size, limit_reached_text


@pytest.mark.parametrize(
    ("asked", "given"),
    [
        (("80", "24"), (80, 24)),
        ((3000, 3000), MAX_SIZE),  # 214 MB and 75 % of a core a tab, unclamped
        ((100000, -5), (MAX_SIZE[0], MIN_SIZE[1])),
        ((0, 0), MIN_SIZE),
        (("wide", None), (80, 24)),
        ((float("inf"), 1e300), (80, MAX_SIZE[1])),
    ],
)
def test_a_terminal_size_is_clamped(asked: tuple[object, object], given: tuple[int, int]) -> None:
    assert clamp_size(*asked) == given


def test_the_refusal_says_what_to_do() -> None:
    text = limit_reached_text(4)
    assert "all 4 sessions are in use" in text and "--max-sessions 4" in text and "Close another tab" in text
    assert "its only session is in use" in limit_reached_text(1)
