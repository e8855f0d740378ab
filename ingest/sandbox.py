"""Run PDFium where it cannot take the caller down: a child process under a memory cap and a deadline.

PDFium is trusted with bytes from anyone (an upload in the chat, a file dropped into ``corpus/``).
What the stream check (``pdfguard``) cannot see, a page can still hold: form XObjects that draw
each other ten times over (a 2 KB file whose one page prints 20 million characters, which PDFium
builds in memory and then aborts on), an image 100,000 pixels square. So the PDF reader and the
page view run in a worker process (``python -m sisterqa.ingest.sandbox``) whose data segment is
capped (``RLIMIT_DATA``, the ``mb`` each caller passes: ``pdfguard.Limits.memory_mb``, default
768 MB, the setting ``SISTERQA_PDF_MEMORY_MB`` read by app/settings.py) and which is killed at a
deadline. When it dies, the caller gets one line saying so; the server, the ingest and the other
files go on.

One worker per process is kept for the next call (starting one costs about half a second) and
serves one call at a time; it is started afresh after a failure or when it has grown.

Requests and replies are pickles over the worker's stdin/stdout; replies are read with an
unpickler that builds only plain data, numpy arrays and the reader's own result types.
"""

from __future__ import annotations

import atexit
import io
import os
import pickle
import select
import struct
import subprocess
import sys
import threading
import time

from .errors import BadPaper

MEMORY_MB = 768  # the default cap (SISTERQA_PDF_MEMORY_MB, read by app/settings.py)
_ALLOWED = {
    ("builtins", "list"), ("builtins", "dict"), ("builtins", "tuple"), ("builtins", "set"),
    ("builtins", "frozenset"), ("builtins", "bytearray"),
    ("numpy", "ndarray"), ("numpy", "dtype"), ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"), ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"), ("numpy._core.numeric", "_frombuffer"),
    ("numpy.core.numeric", "_frombuffer"),
    ("sisterqa.ingest.pdf", "PdfText"), ("sisterqa.app.page_view", "PageShot"),
}


class WorkerDied(Exception):
    """The worker ran out of memory, crashed or passed its deadline."""

    def __init__(self, why: str):
        self.why = why
        super().__init__(why)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not expected from the worker")


def _send(f, obj) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    f.write(struct.pack("<Q", len(data)) + data)
    f.flush()


def _read_exact(fd: int, n: int, deadline: float | None) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError()
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                raise TimeoutError()
        chunk = os.read(fd, min(n - len(buf), 1 << 20))
        if not chunk:
            raise EOFError()
        buf += chunk
    return bytes(buf)


class _Worker:
    def __init__(self, mb: int):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
               "MALLOC_ARENA_MAX": "2"}
        self.mb = mb
        self.proc = subprocess.Popen([sys.executable, "-m", "sisterqa.ingest.sandbox", str(mb)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env,
                                     start_new_session=True)
        self.calls = 0
        self.peak_mb = 0.0

    def call(self, func: str, args: tuple, kwargs: dict, seconds: float):
        _send(self.proc.stdin, (func, args, kwargs))
        deadline = time.monotonic() + seconds
        fd = self.proc.stdout.fileno()
        size = struct.unpack("<Q", _read_exact(fd, 8, deadline))[0]
        reply = _Unpickler(io.BytesIO(_read_exact(fd, size, deadline + 30))).load()
        self.calls += 1
        return reply

    def kill(self) -> None:
        try:
            self.proc.kill()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        for f in (self.proc.stdin, self.proc.stdout):
            try:
                f.close()
            except OSError:
                pass

    def _status(self, key: str) -> float:
        try:
            with open(f"/proc/{self.proc.pid}/status") as f:
                for line in f:
                    if line.startswith(key + ":"):
                        return int(line.split()[1]) / 1024
        except OSError:
            pass
        return 0.0

    def rss_mb(self) -> float:
        return self._status("VmRSS")

    def hwm_mb(self) -> float:
        return self._status("VmHWM")


_guard = threading.Lock()
_pools: dict[str, tuple[threading.Lock, list]] = {}  # pool name → (its lock, [its worker or None])


def _pool(name: str) -> tuple[threading.Lock, list]:
    with _guard:
        if name not in _pools:
            _pools[name] = (threading.Lock(), [None])
        return _pools[name]


def call(func: str, *args, seconds: float, mb: int | None = None, pool: str = "pdf", **kwargs):
    """``module:function(*args, **kwargs)`` in a worker of ``pool``, within ``mb`` MB of data and
    ``seconds`` (``mb`` None: ``MEMORY_MB``).

    Returns its result; re-raises a BadPaper it raised; raises WorkerDied when the worker ran out of
    memory, crashed or passed the deadline (it is then replaced), and RuntimeError for any other
    exception it raised (with its type and message). Each pool has one worker serving one call at a
    time (the reader's and the page view's do not wait for each other).
    """
    mb = mb or MEMORY_MB
    lock, slot = _pool(pool)
    with lock:
        w = slot[0]
        if w is not None and (w.proc.poll() is not None or w.mb != mb):
            w.kill()
            w = slot[0] = None
        if w is None:
            w = slot[0] = _Worker(mb)
        try:
            kind, *rest = w.call(func, args, kwargs, seconds + 5)  # the worker's start-up, and slack
        except TimeoutError:
            w.kill()
            slot[0] = None
            raise WorkerDied(f"took over {seconds:g} s") from None
        except (EOFError, OSError, pickle.UnpicklingError, struct.error) as e:
            w.proc.poll()
            code = w.proc.returncode
            w.kill()
            slot[0] = None
            raise WorkerDied(f"needed more than {mb} MB of memory" if code is None or code != 0
                             else f"stopped ({type(e).__name__})") from None
        w.peak_mb = max(w.peak_mb, w.hwm_mb())
        _peaks[pool] = max(_peaks.get(pool, 0.0), w.peak_mb)
        if kind == "memory":
            w.kill()
            slot[0] = None
            raise WorkerDied(f"needed more than {mb} MB of memory")
        if w.rss_mb() > mb / 2 or w.calls >= 200:  # fragmentation: start afresh next time
            w.kill()
            slot[0] = None
    if kind == "ok":
        return rest[0]
    if kind == "bad":
        raise BadPaper(rest[0], rest[1])
    raise RuntimeError(f"{rest[0]}: {rest[1]}")


_peaks: dict[str, float] = {}


def peak_mb(pool: str = "pdf") -> float:
    """The largest resident memory (MB) a worker of ``pool`` reached after a call that returned."""
    return _peaks.get(pool, 0.0)


def shutdown() -> None:
    """Stop every worker (they also stop by themselves when this process exits)."""
    for lock, slot in list(_pools.values()):
        with lock:
            if slot[0] is not None:
                slot[0].kill()
                slot[0] = None


atexit.register(shutdown)


def _serve(mb: int) -> None:
    """The worker: cap the data segment at ``mb`` MB, then answer requests from stdin until it closes."""
    import importlib
    import resource

    resource.setrlimit(resource.RLIMIT_DATA, (mb * 1024 * 1024, mb * 1024 * 1024))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing printed may mix with the replies
    while True:
        head = stdin.read(8)
        if len(head) < 8:
            return
        func, args, kwargs = pickle.loads(stdin.read(struct.unpack("<Q", head)[0]))
        try:
            module, name = func.split(":")
            reply = ("ok", getattr(importlib.import_module(module), name)(*args, **kwargs))
        except BadPaper as e:
            reply = ("bad", e.path, e.reason)
        except MemoryError:
            reply = ("memory",)
        except Exception as e:  # noqa: BLE001 - reported to the caller as one line
            reply = ("error", type(e).__name__, str(e)[:500])
        try:
            _send(stdout, reply)
        except MemoryError:
            _send(stdout, ("memory",))


if __name__ == "__main__":
    _serve(int(sys.argv[1]) if len(sys.argv) > 1 else MEMORY_MB)
