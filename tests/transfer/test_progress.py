"""Export/import progress outside a terminal: plain lines, never a redrawn display."""

from __future__ import annotations

import io

from rich.console import Console

from scorolink.transfer.progress import TransferProgress


def test_outside_a_terminal_progress_is_plain_lines_at_intervals_and_one_at_the_end():
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    with TransferProgress(console, "export Products", every=0.0) as bar:
        bar.update(10, 1, 2)
        bar.update(20, 1, 3)
    text = out.getvalue()
    assert "\r" not in text and "\x1b[" not in text  # no cursor movement, no colour codes
    lines = text.splitlines()
    assert lines[0].startswith("export Products: 10 rows, 1 failed, 2 requests")
    assert lines[-1].startswith("export Products: 20 rows, 1 failed, 3 requests")
    assert len(lines) == 2  # the last update was already printed: no repeat at the end


def test_disabled_progress_prints_nothing():
    out = io.StringIO()
    with TransferProgress(Console(file=out, force_terminal=False), "import Products", disable=True) as bar:
        bar.update(5, 0, 1)
    assert out.getvalue() == ""
