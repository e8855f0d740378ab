"""Arrays on disk read by slices with ``pread``: what a question reads is copied into its own
memory and freed with it; nothing of the file stays mapped into the process.

Memory-mapping the stores of a million passages let every question map pages it had touched
(and the kernel's fault-around, the cached pages next to them) into the process, so its resident
size grew with the questions asked until it counted gigabytes of page cache. A ``FileArray``
keeps the file open, so, like a map, it stays readable after an ingest deletes its version.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np


class FileArray:
    """A read-only array in a ``.npy`` file (or a raw file of ``dtype``), read by slices."""

    def __init__(self, path: Path, dtype=None):
        self.path = Path(path)
        self._file = open(self.path, "rb", buffering=0)  # closed when the array is collected
        if dtype is None:  # a .npy file: its header gives the shape and type
            version = np.lib.format.read_magic(self._file)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, fortran, dt = read(self._file)
            if fortran:
                raise ValueError(f"{self.path.name}: Fortran order is not read by slices")
            self.offset = self._file.tell()
        else:
            dt = np.dtype(dtype)
            self.offset = 0
            shape = (os.fstat(self._file.fileno()).st_size // dt.itemsize,)
        self.dtype = np.dtype(dt)
        self.shape = tuple(int(x) for x in shape)
        self._row = self.dtype.itemsize * int(np.prod(self.shape[1:], dtype=np.int64))
        if os.fstat(self._file.fileno()).st_size < self.offset + self._row * self.shape[0]:
            raise ValueError(f"{self.path.name} is shorter than its header says")

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.shape[0]

    def _read(self, start: int, stop: int) -> np.ndarray:
        n = max(0, stop - start)
        if n == 0:
            return np.zeros((0, *self.shape[1:]), dtype=self.dtype)
        want = n * self._row
        data = os.pread(self._file.fileno(), want, self.offset + start * self._row)
        if len(data) != want:
            raise OSError(f"{self.path.name}: short read")
        return np.frombuffer(data, dtype=self.dtype).reshape((n, *self.shape[1:]))

    def __getitem__(self, key):
        if isinstance(key, slice):
            start, stop, step = key.indices(self.shape[0])
            if step != 1:
                return self._read(start, stop)[::step]
            return self._read(start, stop)
        if isinstance(key, (int, np.integer)):
            i = int(key) + (self.shape[0] if key < 0 else 0)
            if not 0 <= i < self.shape[0]:
                raise IndexError(key)
            return self._read(i, i + 1)[0]
        if isinstance(key, tuple):  # a row selection, then columns: arr[rows, cols]
            return self[key[0]][(slice(None), *key[1:])] if not isinstance(key[0], (int, np.integer)) \
                else self[key[0]][key[1:]]
        idx = np.asarray(key, dtype=np.int64)  # row numbers: one read per run of consecutive rows
        idx = np.where(idx < 0, idx + self.shape[0], idx)
        if len(idx) and (idx.min() < 0 or idx.max() >= self.shape[0]):
            raise IndexError("row out of range")
        order = np.argsort(idx, kind="stable")
        srt = idx[order]
        out = np.empty((len(idx), *self.shape[1:]), dtype=self.dtype)
        breaks = np.flatnonzero(np.diff(srt) > 1) + 1
        pos = 0
        for run in np.split(srt, breaks) if len(srt) else []:
            block = self._read(int(run[0]), int(run[-1]) + 1)
            out[order[pos:pos + len(run)]] = block[run - run[0]]
            pos += len(run)
        return out

    def __array__(self, dtype=None, copy=None):
        arr = self._read(0, self.shape[0])
        return arr.astype(dtype) if dtype is not None else arr
