"""The log tailer: follows growing logs on its own thread, bounded in memory and time."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from convergio_tui.tui.logfile import read_log
from convergio_tui.tui.tailer import LogTailer


def test_sweep_reads_appended_complete_lines_only(tmp_path: Path) -> None:
    log = tmp_path / "1.log"
    log.write_text("[out] one\n[err] two\n[out] thr")
    tailer = LogTailer()
    tailer.follow(1, str(log))
    tailer.sweep()
    assert tailer.drain(1, 100).lines == ["one", "[err] two"]
    with log.open("a") as handle:
        handle.write("ee\n[out] four\n")
    tailer.sweep()
    assert tailer.drain(1, 100).lines == ["three", "four"]
    assert tailer.drain(1, 100).lines == []


def test_a_log_that_does_not_exist_yet_is_picked_up_later(tmp_path: Path) -> None:
    log = tmp_path / "2.log"
    tailer = LogTailer()
    tailer.follow(2, str(log))
    tailer.sweep()
    assert tailer.drain(2, 10).lines == []
    log.write_text("[out] hello\n")
    tailer.sweep()
    assert tailer.drain(2, 10).lines == ["hello"]


def test_huge_output_is_skipped_not_buffered(tmp_path: Path) -> None:
    log = tmp_path / "3.log"
    log.write_text("[out] start\n")
    tailer = LogTailer(buffer_lines=500, max_read_bytes=64 * 1024)
    tailer.follow(3, str(log))
    tailer.sweep()
    tailer.drain(3, 10)
    with log.open("a") as handle:  # 20 MB in one go, far more than one sweep may read
        chunk = "".join(f"[out] line {i:07d} {'x' * 40}\n" for i in range(10_000))
        for _ in range(40):
            handle.write(chunk)
        handle.write("[out] the very last line\n")
    tailer.sweep()  # reads at most max_read_bytes: the end first, the rest is dropped
    drained = tailer.drain(3, 200)
    assert drained.lines[-1] == "the very last line"
    assert len(drained.lines) == 200 and drained.dropped_lines > 0
    assert drained.skipped_bytes > 19_000_000


def test_drain_keeps_the_newest_lines_and_counts_the_rest(tmp_path: Path) -> None:
    log = tmp_path / "4.log"
    log.write_text("".join(f"[out] {i}\n" for i in range(50)))
    tailer = LogTailer(buffer_lines=20)
    tailer.follow(4, str(log))
    tailer.sweep()
    drained = tailer.drain(4, 5)
    assert drained.lines == ["45", "46", "47", "48", "49"]
    assert drained.dropped_lines == 45  # 30 fell out of the buffer, 15 over the limit


def test_rewind_rereads_recent_context_and_long_lines_are_cut(tmp_path: Path) -> None:
    log = tmp_path / "5.log"
    log.write_text("[out] " + "y" * 5000 + "\n[out] short\n")
    tailer = LogTailer()
    tailer.follow(5, str(log))
    tailer.sweep()
    first = tailer.drain(5, 10).lines
    assert len(first[0]) <= 400 and first[0].endswith("…") and first[1] == "short"
    tailer.rewind(5)
    tailer.sweep()
    assert tailer.drain(5, 10).lines == first


def test_thread_follows_live_writes_and_stops_cleanly(tmp_path: Path) -> None:
    log = tmp_path / "6.log"
    log.write_text("")
    tailer = LogTailer(interval_s=0.01)
    tailer.follow(6, str(log))
    tailer.start()
    try:
        with log.open("a") as handle:
            handle.write("[out] live\n")
            handle.flush()
        deadline = time.monotonic() + 5
        seen: list[str] = []
        while "live" not in seen and time.monotonic() < deadline:
            seen += tailer.drain(6, 10).lines
            time.sleep(0.01)
        assert "live" in seen
    finally:
        tailer.stop()
    assert not tailer.alive
    assert not [t for t in threading.enumerate() if t.name == "convergio-log-tailer"]


def test_read_log_is_bounded_and_resumable(tmp_path: Path) -> None:
    log = tmp_path / "7.log"
    log.write_text("".join(f"[out] {i}\n" for i in range(1000)) + "[out] partial")
    whole = read_log(log)
    assert whole.lines[0] == "0" and whole.lines[-1] == "999" and whole.skipped_bytes == 0
    tail = read_log(log, max_bytes=100)
    assert tail.skipped_bytes > 0 and tail.lines[-1] == "999" and len(tail.lines) < 30
    with log.open("a") as handle:
        handle.write(" done\n")
    assert read_log(log, whole.end).lines == ("partial done",)
    assert read_log(tmp_path / "missing.log").lines == ()


def test_only_logs_in_focus_are_read_and_one_coming_back_rereads_its_tail(
    tmp_path: Path,
) -> None:
    shown, hidden = tmp_path / "8.log", tmp_path / "9.log"
    shown.write_text("[out] a1\n")
    hidden.write_text("[out] b1\n")
    tailer = LogTailer()
    tailer.follow(8, str(shown))
    tailer.follow(9, str(hidden))
    tailer.focus([8])
    tailer.sweep()
    assert tailer.drain(8, 10).lines == ["a1"]
    assert tailer.drain(9, 10).lines == []  # not read at all
    with shown.open("a") as a, hidden.open("a") as b:
        a.write("[out] a2\n")
        b.write("[out] b2\n")
    tailer.sweep()
    assert tailer.drain(8, 10).lines == ["a2"] and tailer.drain(9, 10).lines == []
    tailer.focus([9])
    tailer.sweep()
    assert tailer.drain(9, 10).lines == ["b1", "b2"]
    tailer.focus(None)  # every log again: 8 comes back with its recent lines, once each
    tailer.sweep()
    assert tailer.drain(8, 10).lines == ["a1", "a2"]
    tailer.sweep()
    assert tailer.drain(8, 10).lines == [] and tailer.drain(9, 10).lines == []
