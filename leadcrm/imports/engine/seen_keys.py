"""The email keys a check has met, each with the line it first met it on, in 23 to 46 bytes per key.

A set or dict of a million email strings takes 100-150 MB, which the check's memory bound (200 MB for
both processes) cannot spare. Here a key is two independent fingerprints (Python's string hash of the
key, 64 bits, and 32 bits of the hash of the key with a suffix: two different keys among a million share
both with a probability below 10^-17) and its line, in open addressing over three arrays, kept under
70 % full.
Python's string hash is salted per interpreter: the fingerprints are only compared within the process
that filled the table and its forked children.
"""
from array import array

EXISTING = 0  # the line stored for a key a lead of the workspace held when the check began (lines start at 2)
_LOAD = 0.7


class SeenKeys:
    def __init__(self, expected: int = 0):
        size = 1 << 10
        while size * _LOAD < expected:
            size <<= 1
        self._allocate(size)

    def _allocate(self, size: int) -> None:
        self._mask, self._used, self._limit = size - 1, 0, int(size * _LOAD)
        self._first, self._second = array("q", bytes(8 * size)), array("I", bytes(4 * size))
        self._lines = array("I", bytes(4 * size))

    def __len__(self) -> int:
        return self._used

    def first_line(self, key: str, line: int) -> int:
        """The line the key was first met on; `line` (recorded now) if this is the first time."""
        first = hash(key) or 1  # 0 marks an empty slot
        second = hash(key + "\x00") & 0xFFFFFFFF
        mask, firsts, seconds = self._mask, self._first, self._second
        slot = first & mask
        while True:
            found = firsts[slot]
            if found == first and seconds[slot] == second:
                return self._lines[slot]
            if not found:
                break
            slot = (slot + 1) & mask
        firsts[slot], seconds[slot], self._lines[slot] = first, second, line
        self._used += 1
        if self._used > self._limit:
            self._grow()
        return line

    def _grow(self) -> None:
        old = zip(self._first, self._second, self._lines)
        used = self._used
        self._allocate((self._mask + 1) * 2)
        mask, firsts, seconds, lines = self._mask, self._first, self._second, self._lines
        for first, second, line in old:
            if first:
                slot = first & mask
                while firsts[slot]:
                    slot = (slot + 1) & mask
                firsts[slot], seconds[slot], lines[slot] = first, second, line
        self._used = used

    def release(self) -> None:
        """Free this process's copy (a forked child keeps its own)."""
        self._allocate(1)
