"""The parsing child process of the engine (engine/prefetch.py): items arrive in order, its errors
reach the parent, its death is reported, and it never outlives the parent's loop."""
import os
import signal
import time

import pytest

from leadcrm.imports.engine.prefetch import ParserStopped, Prefetch


def test_items_arrive_in_order_and_the_child_ends():
    with Prefetch(lambda: ({"n": n, "text": "é" * n} for n in range(50))) as pending:
        received = list(pending)
        process = pending.process
    assert received == [{"n": n, "text": "é" * n} for n in range(50)]
    assert process.exitcode == 0


def test_the_child_runs_in_another_process():
    with Prefetch(lambda: iter([os.getpid()])) as pending:
        (child_pid,) = list(pending)
    assert child_pid != os.getpid()


def test_an_error_in_the_child_is_raised_in_the_parent_after_the_items_before_it():
    def source():
        yield 1
        yield 2
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "invalid start byte")

    received = []
    with pytest.raises(UnicodeDecodeError, match="invalid start byte"):
        with Prefetch(source) as pending:
            for item in pending:
                received.append(item)
    assert received == [1, 2]


def test_an_error_that_cannot_be_pickled_still_reaches_the_parent_as_its_message():
    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("no pickling")

    def source():
        raise Unpicklable("bad row")
        yield  # a generator

    with pytest.raises(RuntimeError, match="Unpicklable: bad row"):
        with Prefetch(source) as pending:
            list(pending)


def test_a_killed_child_is_reported_not_waited_for_forever():
    def source():
        yield "first"
        time.sleep(60)  # making the next item when it is killed (out of memory, say)
        yield "never"

    received = []
    with pytest.raises(ParserStopped, match=r"stopped unexpectedly \(exit code -9\)"):
        with Prefetch(source) as pending:
            for item in pending:
                received.append(item)
                os.kill(pending.process.pid, signal.SIGKILL)
    assert received == ["first"]


def test_leaving_the_loop_early_stops_the_child():
    def endless():
        n = 0
        while True:
            yield "x" * 10_000 + str(n)
            n += 1

    with Prefetch(endless) as pending:
        for item in pending:
            break
        process = pending.process
    assert not process.is_alive()
    assert item.endswith("0")


def test_ctrl_c_is_left_to_the_parent():
    def source():
        os.kill(os.getpid(), signal.SIGINT)  # what a terminal's Ctrl-C sends to the whole group
        yield "still running"

    with Prefetch(source) as pending:
        assert list(pending) == ["still running"]


def test_the_child_knows_whether_the_parent_waits_for_it():
    def source():
        time.sleep(1)
        yield "slow", None  # the parent waits a second for it
        time.sleep(0.3)
        yield "after a wait", prefetch.waiting()
        yield "at once", None  # ready before the parent, holding the one before, asks for it
        time.sleep(1.5)
        yield "while the parent is busy", prefetch.waiting()  # it did not wait for "at once"

    prefetch = Prefetch(source)
    received = []
    with prefetch:
        for item in prefetch:
            received.append(item)
            time.sleep(1)
    assert received == [("slow", None), ("after a wait", True), ("at once", None), ("while the parent is busy", False)]
    assert not Prefetch(source, fork=False).waiting()  # in one process nobody waits
