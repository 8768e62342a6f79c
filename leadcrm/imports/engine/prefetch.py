"""Build the next batches in a child process while this one writes the current batch to the database.

A thread would not do: parsing and the row rules are pure Python, and so is much of the writing
(binding values, COPY rows), so the two would take turns on the GIL instead of using both cores.
The child is forked, so it inherits the compiled row rules and needs no set-up; it touches neither
the database nor Redis. A pipe carries the pickled batches: while the parent writes one batch, the
child's thread writes the next to the pipe and the child makes the one after, so at most three
batches exist at once (one as pickled bytes), whatever the file size.
When the parent waits for its items it is the faster side: the child can ask waiting() and hand it
work it would otherwise do itself (process.py sends such batches' records unprocessed).
"""
import multiprocessing
import pickle
import queue
import signal
import threading
import time
from multiprocessing.reduction import ForkingPickler as _ForkingPickler
from typing import Callable, Iterator

_FORK = multiprocessing.get_context("fork")
WAITED = 0.005  # seconds the parent waited for its last item to start coming: the child had not made it yet


class ParserStopped(RuntimeError):
    """The parsing process died without saying why (killed, out of memory)."""


class _Done:
    pass


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def _picklable(error: BaseException) -> bool:
    try:
        pickle.dumps(error)
    except Exception:
        return False
    return True


class Prefetch:
    """Iterate over make_source()'s items, produced in a child process one item ahead (or, without fork,
    in this process as they are asked for)."""

    def __init__(self, make_source: Callable[[], Iterator], fork: bool = True):
        self.make_source = make_source
        self.fork = fork
        self.finished = False
        self._broken = False  # in the child: the parent stopped reading
        if fork:
            self.receiver, self.sender = _FORK.Pipe(duplex=False)
            self._waiting = _FORK.RawValue("b", 0)  # shared memory: set while the parent waited for its last item
            self.process = _FORK.Process(target=self._produce, name="import-parser", daemon=True)

    def _produce(self) -> None:
        # Ctrl-C reaches the whole process group: the parent decides what it means.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        self.receiver.close()
        try:
            self._send_all()
        except BrokenPipeError:
            pass  # the parent is gone or has stopped reading: nobody needs the rest

    def _send_all(self) -> None:
        # Pickled here, written to the pipe by a thread: this process makes the next item while the parent
        # still reads the last one (a pipe holds 64 KB, a batch is about a megabyte pickled).
        outbox = queue.Queue(maxsize=1)
        writer = threading.Thread(target=self._write_all, args=(outbox,), name="import-parser-send", daemon=True)
        writer.start()

        def send(item) -> None:
            data = _ForkingPickler.dumps(item)
            outbox.join()  # the last item is in the pipe: never two waiting to be written
            outbox.put(data)
            if self._broken:
                raise BrokenPipeError

        try:
            for item in self.make_source():
                send(item)
                del item  # before the next one is made
        except BrokenPipeError:
            raise
        except BaseException as error:  # handed to the parent, which fails the import with it
            send(_Failure(error if _picklable(error) else RuntimeError(f"{type(error).__name__}: {error}")))
        else:
            send(_Done())
        finally:
            outbox.put(None)
            writer.join()

    def _write_all(self, outbox: queue.Queue) -> None:
        while (data := outbox.get()) is not None:
            if not self._broken:
                try:
                    self.sender.send_bytes(data)
                except BrokenPipeError:
                    self._broken = True  # the rest is taken off the queue unsent, so that join() never blocks
            del data
            outbox.task_done()

    def __enter__(self):
        if self.fork:
            self.process.start()
            self.sender.close()  # so that recv() sees the end of the pipe if the child dies
        return self

    def wait(self, on_wait: Callable[[], object], every: float = 5.0) -> None:
        """Call on_wait() every `every` seconds until the next item is ready (a heartbeat while the child
        counts a workbook's rows); returns at once when the child has died, for recv() to say so."""
        if self.fork:
            while not self.receiver.poll(every) and self.process.is_alive():
                on_wait()

    def waiting(self) -> bool:
        """In the child: whether the parent waited for its last item more than WAITED."""
        return self.fork and bool(self._waiting.value)

    def __iter__(self):
        if not self.fork:
            yield from self.make_source()
            return
        while True:
            asked = time.monotonic()
            try:
                self.receiver.poll(None)  # the wait ends as the child starts sending (a batch takes a while to pass)
                waited = time.monotonic() - asked
                item = self.receiver.recv()
            except (EOFError, OSError):  # OSError: the child died in the middle of a batch
                self.process.join(5)
                raise ParserStopped(f"The process reading the file stopped unexpectedly "
                                    f"(exit code {self.process.exitcode}).") from None
            # A short wait is the child finishing its batch; a writer that keeps the child busy gains
            # nothing from making batches too (on SQLite every fourth batch commits and takes longer).
            self._waiting.value = waited > WAITED
            if isinstance(item, _Done):
                self.finished = True
                return
            if isinstance(item, _Failure):
                raise item.error
            yield item
            del item  # before receiving the next batch: two are never held here at once

    def __exit__(self, *exc_info):
        if not self.fork:
            return
        if self.finished:
            self.process.join(5)  # it is only exiting
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.receiver.close()
