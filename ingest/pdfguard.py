"""Bounded reading of PDFs: what a file may cost before PDFium is trusted with it (issue 24).

``check_streams`` inflates every stream of a PDF the way PDFium would, without keeping what it
inflates, and refuses the file when the bytes inflated pass the limit, counting
**every layer** of a filter chain (``[/FlateDecode /FlateDecode]``), **every spelling** of a
filter's name (``/Fl``, ``/Flate#44ecode``, an indirect ``/Filter 7 0 R`` kept in a compressed
object stream), the object streams themselves, and the **inline images** inside content streams
(``BI … /F /Fl ID …``), which PDFium inflates while it loads a page; an encrypted PDF that opens
without a password is decrypted (pypdf, RC4) and counted the same way. Flate, LZW, run-length,
ASCII hex and ASCII 85 are decoded; image codecs (DCT, JPX, JBIG2, CCITT) are only ever decoded
to draw a page, which the chat's page view does in a child process under a memory cap
(``app/page_view.py``).

``Budget`` holds one file's limits while it is read: characters on a page (checked as soon as
PDFium has counted a page's characters, before any is read) and in the whole file (checked on
every page), and seconds (checked inside each page as well as between pages). It also makes the
text valid (``validtext``) and counts what it dropped.

The limits (``Limits``), each a setting (an environment variable, or a ``sisterqa.toml`` key, read by
``app/settings.py`` and passed down: ``Settings.build.limits``) and each refused in one line that
names it:

| limit | default | setting |
| --- | --- | --- |
| pages a PDF | 2,000 | ``SISTERQA_MAX_PDF_PAGES`` |
| seconds to read a file | 120 | ``SISTERQA_PDF_TIME_LIMIT_S`` |
| inflated stream bytes a PDF | 512 MB | ``SISTERQA_MAX_PDF_STREAM_MB`` |
| characters on one page | 100,000 | ``SISTERQA_MAX_PAGE_CHARS`` |
| characters a file (any type) | 1,000,000 | ``SISTERQA_MAX_PAPER_CHARS`` |
| passages a file | 2,000 | ``SISTERQA_MAX_PAPER_PASSAGES`` |
| memory of the reader's worker (``ingest.sandbox``) | 768 MB | ``SISTERQA_PDF_MEMORY_MB`` |

Nothing here reads the environment: a caller without settings gets the defaults (``Limits()``).
"""

from __future__ import annotations

import contextvars
import re
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from .errors import BadPaper
from .sandbox import MEMORY_MB
from .validtext import dropped_warning, valid_same_length

MAX_PAGES = 2000
TIME_LIMIT_S = 120.0
MAX_STREAM_MB = 512
MAX_PAGE_CHARS = 100_000
MAX_PAPER_CHARS = 1_000_000
MAX_PASSAGES = 2_000


@dataclass(frozen=True)
class Limits:
    """What reading one file may cost (the table above); the defaults unless the settings say otherwise."""

    pages: int = MAX_PAGES  # SISTERQA_MAX_PDF_PAGES
    seconds: float = TIME_LIMIT_S  # SISTERQA_PDF_TIME_LIMIT_S
    stream_bytes: int = MAX_STREAM_MB * 1024 * 1024  # SISTERQA_MAX_PDF_STREAM_MB (in MB)
    page_chars: int = MAX_PAGE_CHARS  # SISTERQA_MAX_PAGE_CHARS
    paper_chars: int = MAX_PAPER_CHARS  # SISTERQA_MAX_PAPER_CHARS
    passages: int = MAX_PASSAGES  # SISTERQA_MAX_PAPER_PASSAGES
    memory_mb: int = MEMORY_MB  # SISTERQA_PDF_MEMORY_MB: the sandbox worker's cap (reader and page view)


def count_text(n: int) -> str:
    """A character count as people read it: 3002571 → "3.0 M", 120000 → "120,000"."""
    return f"{n / 1e6:.1f} M" if n >= 1_000_000 else f"{n:,}"


def check_paper_chars(path, chars: int, lim: Limits = Limits()) -> None:
    """Refuse a paper (any file type) whose text is over the characters-a-file budget."""
    if chars > lim.paper_chars:
        raise BadPaper(path, f"has {count_text(chars)} characters, over the limit of {lim.paper_chars:,} "
                             "a file (raise it with SISTERQA_MAX_PAPER_CHARS)")


def check_passages(path, passages: int, lim: Limits = Limits()) -> None:
    """Refuse a paper cut into more passages than a file may have (each is embedded)."""
    if passages > lim.passages:
        raise BadPaper(path, f"has {passages:,} passages, over the limit of {lim.passages:,} a file "
                             "(raise it with SISTERQA_MAX_PAPER_PASSAGES)")


# ---------------------------------------------------------------- one file's budget while it is read

_CURRENT: contextvars.ContextVar["Budget | None"] = contextvars.ContextVar("sisterqa_pdf_budget", default=None)


@dataclass
class Budget:
    """One PDF's limits while PDFium reads it (``start`` makes it the current one of this thread)."""

    path: Path
    limits: Limits
    pages: int = 0
    started: float = field(default_factory=time.monotonic)
    chars: int = 0
    dropped: int = 0
    unreadable: int = 0  # pages PDFium could not load

    def check_time(self, page: int) -> None:
        if time.monotonic() - self.started > self.limits.seconds:
            raise BadPaper(self.path, f"took over {self.limits.seconds:g} s to read (stopped at page {page} of "
                                      f"{self.pages}; raise SISTERQA_PDF_TIME_LIMIT_S)")

    def page_text(self, text: str, page: int) -> str:
        """A page's characters as PDFium gives them (before any is read): within the budgets, made
        valid text of the same length (what is not valid becomes a character the reader drops)."""
        n = len(text)
        if n > self.limits.page_chars:
            raise BadPaper(self.path, f"has {count_text(n)} characters on one page (page {page}), over the limit "
                                      f"of {self.limits.page_chars:,} a page (raise it with SISTERQA_MAX_PAGE_CHARS)")
        self.chars += n
        if self.chars > self.limits.paper_chars:
            raise BadPaper(self.path, f"has over {count_text(self.chars)} characters by page {page} of {self.pages}, "
                                      f"over the limit of {self.limits.paper_chars:,} a file "
                                      "(raise it with SISTERQA_MAX_PAPER_CHARS)")
        self.check_time(page)
        text, dropped = valid_same_length(text)
        self.dropped += dropped
        return text

    def warnings(self) -> list[str]:
        return [dropped_warning(self.dropped)] if self.dropped else []


def start(path, lim: Limits, pages: int = 0, started: float | None = None) -> Budget:
    """Make a new budget the current one of this thread (``page_text`` then checks against it)."""
    b = Budget(Path(path), lim, pages, started if started is not None else time.monotonic())
    _CURRENT.set(b)
    return b


def page_text(text: str, page: int) -> str:
    """``Budget.page_text`` of the current budget; with none, only made valid."""
    b = _CURRENT.get()
    if b is None:
        return valid_same_length(text)[0]
    return b.page_text(text, page)


# ---------------------------------------------------------------- PDF objects, as much as needed

_WS = b"\x00\t\n\x0c\r "
_DELIM = b"()<>[]{}/%"
_REGULAR = re.compile(rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]*")
_SPACE = re.compile(rb"(?:[\x00\t\n\x0c\r ]+|%[^\r\n]*)*")
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*|\.\d+)$")
_INT = re.compile(rb"[+-]?\d+$")
_STRING_SPECIAL = re.compile(rb"[()\\]")
_HEX_NAME = re.compile(rb"#([0-9A-Fa-f]{2})")
ABBREVIATIONS = {"AHx": "ASCIIHexDecode", "A85": "ASCII85Decode", "LZW": "LZWDecode", "Fl": "FlateDecode",
                 "RL": "RunLengthDecode", "CCF": "CCITTFaxDecode", "DCT": "DCTDecode"}
MAX_DEPTH = 32


class Name(str):
    pass


@dataclass(frozen=True)
class Ref:
    num: int
    gen: int


class _Kw(str):
    pass


class _ParseError(Exception):
    pass


def _name(raw: bytes) -> Name:
    return Name(_HEX_NAME.sub(lambda m: bytes([int(m.group(1), 16)]), raw).decode("latin-1"))


class Parser:
    """A forgiving reader of PDF objects from ``data`` at ``pos`` (dictionaries, arrays, names, numbers,
    strings, references); nesting deeper than MAX_DEPTH is skipped, not read."""

    def __init__(self, data: bytes, pos: int = 0, end: int | None = None):
        self.data, self.pos, self.end = data, pos, len(data) if end is None else end

    def skip_space(self) -> None:
        self.pos = _SPACE.match(self.data, self.pos, self.end).end()

    def token(self):
        self.skip_space()
        d, p = self.data, self.pos
        if p >= self.end:
            raise _ParseError("end")
        c = d[p:p + 1]
        if c == b"/":
            m = _REGULAR.match(d, p + 1, self.end)
            self.pos = m.end()
            return _name(m.group())
        if c == b"<":
            if d[p:p + 2] == b"<<":
                self.pos = p + 2
                return _Kw("<<")
            q = d.find(b">", p, self.end)
            if q < 0:
                raise _ParseError("hex string")
            self.pos = q + 1
            return d[p + 1:q]
        if c == b">":
            if d[p:p + 2] == b">>":
                self.pos = p + 2
                return _Kw(">>")
            raise _ParseError(">")
        if c in (b"[", b"]", b"{", b"}"):
            self.pos = p + 1
            return _Kw(c.decode())
        if c == b"(":
            depth, q = 0, p
            while True:
                m = _STRING_SPECIAL.search(d, q, self.end)
                if m is None:
                    raise _ParseError("string")
                ch = m.group()
                if ch == b"\\":
                    q = m.end() + 1
                    continue
                depth += 1 if ch == b"(" else -1
                q = m.end()
                if depth == 0:
                    self.pos = q
                    return d[p + 1:q - 1]
        if c == b")":
            raise _ParseError(")")
        m = _REGULAR.match(d, p, self.end)
        if m.end() == p:
            raise _ParseError("delimiter")
        self.pos = m.end()
        word = m.group()
        if _INT.match(word):
            return int(word)
        if _NUMBER.match(word):
            return float(word)
        return _Kw(word.decode("latin-1"))

    def obj(self, depth: int = 0):
        t = self.token()
        if isinstance(t, int) and not isinstance(t, bool):
            save = self.pos
            try:
                g = self.token()
                r = self.token()
                if isinstance(g, int) and r == "R" and isinstance(r, _Kw):
                    return Ref(t, g)
            except _ParseError:
                pass
            self.pos = save
            return t
        if isinstance(t, _Kw):
            if t == "<<":
                if depth >= MAX_DEPTH:
                    self._skip(">>")
                    return None
                out = {}
                while True:
                    k = self.token()
                    if k == ">>" and isinstance(k, _Kw):
                        return out
                    if not isinstance(k, Name):
                        raise _ParseError("key")
                    out[str(k)] = self.obj(depth + 1)
            if t == "[":
                if depth >= MAX_DEPTH:
                    self._skip("]")
                    return None
                items = []
                while True:
                    self.skip_space()
                    if self.data[self.pos:self.pos + 1] == b"]":
                        self.pos += 1
                        return items
                    items.append(self.obj(depth + 1))
            if t in ("true", "false"):
                return t == "true"
            if t == "null":
                return None
            if t in (">>", "]"):
                raise _ParseError(str(t))
        return t

    def _skip(self, close: str) -> None:
        """Skip to the end of a structure nested too deep (counting brackets, strings skipped)."""
        depth = 1
        while depth:
            t = self.token()
            if isinstance(t, _Kw):
                if t in ("<<", "["):
                    depth += 1
                elif t in (">>", "]"):
                    depth -= 1


# ---------------------------------------------------------------- decoders that never hold much

CHUNK = 1 << 20  # the largest piece of output a decoder hands on at once


class _Over(Exception):
    pass


class _Counter:
    def __init__(self, limit: int, deadline: float):
        self.limit, self.total, self.deadline, self.calls = limit, 0, deadline, 0

    def add(self, n: int) -> None:
        self.total += n
        if self.total > self.limit:
            raise _Over()
        self.calls += 1
        if self.calls % 64 == 0 and time.monotonic() > self.deadline:
            raise TimeoutError()


class _Decoder:
    done = False
    rest = b""

    def feed(self, data: bytes) -> Iterator[bytes]:
        raise NotImplementedError


class _Flate(_Decoder):
    def __init__(self):
        self.d = zlib.decompressobj()

    def feed(self, data):
        if self.done:
            return
        buf = data
        while True:
            try:
                out = self.d.decompress(buf, CHUNK)
            except zlib.error:
                self.done = True  # PDFium keeps what inflated before the damage; so is it counted
                return
            if out:
                yield out
            if self.d.eof:
                self.done, self.rest = True, self.d.unused_data
                return
            buf = self.d.unconsumed_tail
            if not buf and len(out) < CHUNK:
                return


class _RunLength(_Decoder):
    def __init__(self):
        self.pending = b""

    def feed(self, data):
        if self.done:
            return
        d = self.pending + data
        out = bytearray()
        i, n = 0, len(d)
        while i < n:
            b = d[i]
            if b == 128:
                self.done, self.rest = True, d[i + 1:]
                break
            if b < 128:
                if i + 1 + b + 1 > n:
                    break
                out += d[i + 1:i + 2 + b]
                i += b + 2
            else:
                if i + 1 >= n:
                    break
                out += d[i + 1:i + 2] * (257 - b)
                i += 2
            if len(out) >= CHUNK:
                yield bytes(out)
                out = bytearray()
        self.pending = b"" if self.done else d[i:]
        if out:
            yield bytes(out)


class _AsciiHex(_Decoder):
    def __init__(self):
        self.odd = b""

    def feed(self, data):
        if self.done:
            return
        end = data.find(b">")
        if end >= 0:
            self.done, self.rest = True, data[end + 1:]
            data = data[:end]
        digits = self.odd + re.sub(rb"[^0-9A-Fa-f]", b"", data)
        if self.done and len(digits) % 2:
            digits += b"0"
        keep = len(digits) - len(digits) % 2
        self.odd = digits[keep:]
        if keep:
            yield bytes.fromhex(digits[:keep].decode())


class _Ascii85(_Decoder):
    def __init__(self):
        self.held = b""

    def feed(self, data):
        import base64

        if self.done:
            return
        end = data.find(b"~>")
        if end >= 0:
            self.done, self.rest = True, data[end + 2:]
            data = data[:end]
        text = self.held + re.sub(rb"[\x00\t\n\x0c\r ]", b"", data)
        if not self.done:
            # keep an incomplete group for the next piece: cut after the last whole group
            cut, i, n = 0, 0, len(text)
            while i < n:
                if text[i:i + 1] == b"z":
                    i += 1
                elif i + 5 <= n:
                    i += 5
                else:
                    break
                cut = i
            text, self.held = text[:cut], text[cut:]
        try:
            out = base64.a85decode(text) if text else b""
        except ValueError:
            self.done = True
            return
        if out:
            yield out


class _LZW(_Decoder):
    def __init__(self, early: int = 1):
        self.early = 1 if early is None else int(bool(early))
        self.bits, self.nbits = 0, 0
        self._reset()
        self.prev = None

    def _reset(self):
        self.table = [bytes([i]) for i in range(256)] + [b"", b""]
        self.width = 9

    def feed(self, data):
        if self.done:
            return
        out = bytearray()
        pos = 0
        while pos < len(data) or self.nbits >= self.width:
            while self.nbits < self.width and pos < len(data):
                self.bits = (self.bits << 8) | data[pos]
                self.nbits += 8
                pos += 1
            if self.nbits < self.width:
                break
            self.nbits -= self.width
            code = (self.bits >> self.nbits) & ((1 << self.width) - 1)
            self.bits &= (1 << self.nbits) - 1
            if code == 256:
                self._reset()
                self.prev = None
                continue
            if code == 257:
                self.done, self.rest = True, data[pos:]
                break
            if code < len(self.table):
                entry = self.table[code]
                if self.prev is not None:
                    self.table.append(self.prev + entry[:1])
            elif self.prev is not None and code == len(self.table):
                entry = self.prev + self.prev[:1]
                self.table.append(entry)
            else:
                self.done = True
                break
            out += entry
            self.prev = entry
            if len(self.table) > 4096:
                del self.table[4096:]
            size = len(self.table) + self.early
            self.width = 12 if size >= 2048 else 11 if size >= 1024 else 10 if size >= 512 else 9
            if len(out) >= CHUNK:
                yield bytes(out)
                out = bytearray()
        if out:
            yield bytes(out)


DECODERS = {"FlateDecode": _Flate, "LZWDecode": _LZW, "RunLengthDecode": _RunLength,
            "ASCIIHexDecode": _AsciiHex, "ASCII85Decode": _Ascii85}


def filter_names(value) -> list[str]:
    """A /Filter entry's names in order, abbreviations (``/Fl``) spelled out."""
    names = value if isinstance(value, list) else [value] if value is not None else []
    return [ABBREVIATIONS.get(str(n), str(n)) if isinstance(n, str) else "?" for n in names]


class _Chain:
    """Decoders in a row; ``push`` feeds the first and counts what every layer gives out."""

    def __init__(self, names: list[str], parms: list, counter: _Counter, sink=None):
        self.stages: list[_Decoder] = []
        for i, n in enumerate(names):
            cls = DECODERS.get(n)
            if cls is None:
                break  # an image codec (or an unknown filter): not inflated to read text
            if cls is _LZW:
                p = parms[i] if i < len(parms) and isinstance(parms[i], dict) else {}
                self.stages.append(_LZW(p.get("EarlyChange", 1)))
            else:
                self.stages.append(cls())
        self.counter, self.sink = counter, sink

    @property
    def done(self) -> bool:
        return not self.stages or self.stages[0].done

    def push(self, data: bytes) -> None:
        self._down(0, data)

    def _down(self, i: int, data: bytes) -> None:
        if i == len(self.stages):
            if self.sink is not None:
                self.sink(data)
            return
        for piece in self.stages[i].feed(data):
            self.counter.add(len(piece))
            self._down(i + 1, piece)


# ---------------------------------------------------------------- inline images in content streams

_WS_SET = frozenset(_WS)
_ID = re.compile(rb"[\x00\t\n\x0c\r ]ID[\x00\t\n\x0c\r ]")
_INLINE_KEYS = {"F": "Filter", "DP": "DecodeParms"}


def _find_bi(buf: bytes, start: int = 0) -> int:
    """The offset just after the next ``BI`` operator in ``buf`` (a token: white space before, white
    space or ``/`` after), or -1. Found by its ``I`` (one byte: memchr, at gigabytes a second; content
    streams can be hundreds of MB), not a regex."""
    i = buf.find(b"I", start + 1)
    while i >= 0:
        if buf[i - 1:i] == b"B":
            after = buf[i + 1:i + 2]
            if (i == 1 or buf[i - 2] in _WS_SET) and after and (after[0] in _WS_SET or after == b"/"):
                return i + 1
        i = buf.find(b"I", i + 1)
    return -1


class _InlineScanner:
    """Finds ``BI … ID`` in a content stream's bytes as they are inflated and inflates each image's data
    (PDFium does so while it loads the page), counting it."""

    def __init__(self, counter: _Counter):
        self.counter, self.buf, self.chain = counter, b"", None

    def __call__(self, data: bytes) -> None:
        self.buf += data
        while self.buf:
            if self.chain is not None:
                self.chain.push(self.buf)
                if not self.chain.done:
                    self.buf = b""
                    return
                self.buf, self.chain = self.chain.stages[0].rest, None
                continue
            end = _find_bi(self.buf)
            if end < 0:
                self.buf = self.buf[-3:]
                return
            i = _ID.search(self.buf, end)
            if i is None:
                self.buf = self.buf[end - 2:] if len(self.buf) - end < 65536 else b""
                return
            try:
                p = Parser(b"<<" + self.buf[end:i.start()] + b">>")
                d = p.obj()
            except (_ParseError, RecursionError):
                d = {}
            d = {_INLINE_KEYS.get(k, k): v for k, v in d.items()} if isinstance(d, dict) else {}
            names = filter_names(d.get("Filter"))
            parms = d.get("DecodeParms")
            parms = parms if isinstance(parms, list) else [parms]
            self.buf = self.buf[i.end():]
            if names and names[0] in DECODERS:
                self.chain = _Chain(names, parms, self.counter)


# ---------------------------------------------------------------- the whole file

_STREAM = re.compile(rb"(?<![A-Za-z])stream(?![A-Za-z])")
_OBJ = re.compile(rb"(\d+)[\x00\t\n\x0c\r ]+(\d+)[\x00\t\n\x0c\r ]+obj(?![A-Za-z])")
_ENDSTREAM = re.compile(rb"endstream")
NOT_CONTENT = {"Image", "ObjStm", "XRef", "Metadata", "EmbeddedFile", "XML"}


@dataclass
class _Stream:
    start: int  # the data's first byte
    dict: dict
    end: int = -1  # one past its last byte


class _File:
    """The streams of a PDF and a resolver of indirect objects (top-level and in object streams)."""

    def __init__(self, data: bytes):
        self.data = data
        self.offsets: dict[int, int] = {}
        for m in _OBJ.finditer(data):
            self.offsets[int(m.group(1))] = m.end()
        self.in_objstm: dict[int, tuple[bytes, int]] = {}
        self.streams = self._streams()

    def _streams(self) -> list[_Stream]:
        data = self.data
        out = []
        for m in _STREAM.finditer(data):
            d = self._dict_before(m.start())
            if d is None:
                continue
            p = m.end()
            nl = min((x for x in (data.find(b"\n", p), data.find(b"\r", p)) if x >= 0), default=-1)
            if nl < 0:
                continue
            start = nl + 2 if data[nl:nl + 2] == b"\r\n" else nl + 1
            out.append(_Stream(start, d))
        return out

    def _dict_before(self, pos: int):
        """The dictionary that ends just before the ``stream`` keyword at ``pos``, or None."""
        data = self.data
        q = pos
        while q > 0 and data[q - 1] in _WS:
            q -= 1
        if data[q - 2:q] != b">>":
            return None
        lo = max(0, q - (1 << 20))
        cand = q
        for _ in range(256):
            cand = data.rfind(b"<<", lo, cand)
            if cand < 0:
                return None
            try:
                p = Parser(data, cand, q)
                d = p.obj()
                p.skip_space()
                if isinstance(d, dict) and p.pos == q:
                    return d
            except (_ParseError, RecursionError, IndexError):
                pass
        return None

    def resolve(self, value, depth: int = 0):
        """``value`` with an indirect reference followed (top-level object or in an object stream)."""
        while isinstance(value, Ref) and depth < 8:
            depth += 1
            if value.num in self.in_objstm:
                text, off = self.in_objstm[value.num]
                src, pos, end = text, off, len(text)
            elif value.num in self.offsets:
                src, pos, end = self.data, self.offsets[value.num], len(self.data)
            else:
                return None
            try:
                value = Parser(src, pos, min(end, pos + (1 << 20))).obj()
            except (_ParseError, RecursionError, IndexError):
                return None
        return value

    def filters(self, s: _Stream) -> tuple[list[str], list]:
        f = self.resolve(s.dict.get("Filter"))
        if isinstance(f, list):
            f = [self.resolve(x) for x in f]
        p = self.resolve(s.dict.get("DecodeParms"))
        p = [self.resolve(x) for x in p] if isinstance(p, list) else [p]
        return filter_names(f), p

    def span(self, s: _Stream) -> tuple[int, int]:
        """Where the stream's data lies: /Length when ``endstream`` follows it (as PDFium reads it),
        else up to the next ``endstream``."""
        data = self.data
        length = self.resolve(s.dict.get("Length"))
        if isinstance(length, int) and not isinstance(length, bool) and 0 <= length <= len(data) - s.start:
            after = data[s.start + length:s.start + length + 64].lstrip(_WS)
            if after.startswith(b"endstream"):
                return s.start, s.start + length
        m = _ENDSTREAM.search(data, s.start)
        return s.start, m.start() if m else len(data)

    def index_objstm(self, text: bytes, d: dict) -> None:
        n, first = self.resolve(d.get("N")), self.resolve(d.get("First"))
        if not isinstance(n, int) or not isinstance(first, int):
            return
        try:
            p = Parser(text, 0, min(len(text), max(0, first)))
            for _ in range(min(n, 1_000_000)):
                num, off = p.token(), p.token()
                if isinstance(num, int) and isinstance(off, int) and num not in self.offsets:
                    self.in_objstm.setdefault(num, (text, first + off))
        except _ParseError:
            return


def _type(f: _File, d: dict) -> str:
    for key in ("Type", "Subtype"):
        v = f.resolve(d.get(key))
        if isinstance(v, str) and str(v) in NOT_CONTENT:
            return str(v)
    if "Length1" in d or "Length2" in d or "Length3" in d:
        return "FontFile"
    return ""


_STRINGS = re.compile(rb"\((?:[^()\\]|\\.)*\)|<(?!<)[0-9A-Fa-f\x00\t\n\x0c\r ]*>", re.S)


class _TooMuchText(Exception):
    def __init__(self, n: int, more: bool = False):
        self.n, self.more = n, more


class _TextEstimate:
    """The bytes of string operands in a content stream (an upper bound on the characters it prints),
    counted once the stream is larger than a page may print, up to 50 × ``limit``; ``check`` raises
    _TooMuchText past ``limit``."""

    def __init__(self, threshold: int, limit: int):
        self.threshold, self.limit, self.size, self.strings = threshold, limit, 0, 0

    def __call__(self, piece: bytes) -> None:
        self.size += len(piece)
        if self.size <= self.threshold:
            self.strings += len(piece)  # a small stream: its size bounds its text
            return
        if b"(" not in piece and b"<" not in piece:
            return
        if self.strings > 50 * self.limit:
            return  # far over: counted no further (the figure says "over")
        for m in _STRINGS.finditer(piece):
            n = m.end() - m.start() - 2
            self.strings += n if piece[m.start():m.start() + 1] == b"(" else n // 2

    def check(self) -> None:
        """At the stream's end: raise _TooMuchText when its strings passed the limit."""
        if self.strings > self.limit:
            raise _TooMuchText(self.strings, self.strings > 50 * self.limit)


def _run(f: _File, s: _Stream, counter: _Counter, keep: int = 0, inline: bool = False,
         page_chars: int = 0) -> bytes:
    names, parms = f.filters(s)
    a, b = f.span(s)
    return _run_bytes(memoryview(f.data)[a:b], names, parms, counter, keep, inline, page_chars)


def _run_bytes(raw, names: list[str], parms: list, counter: _Counter, keep: int = 0, inline: bool = False,
               page_chars: int = 0) -> bytes:
    """Decode ``raw`` (a stream's data) through its filters, counting every layer; keep the first
    ``keep`` bytes of what comes out; with ``inline``, scan it for inline images and its text."""
    kept = bytearray()
    scanner = _InlineScanner(counter) if inline else None
    text = _TextEstimate(page_chars, 2 * page_chars) if inline and page_chars else None

    def sink(piece: bytes) -> None:
        if len(kept) < keep:
            kept.extend(piece[:keep - len(kept)])
        if scanner is not None:
            scanner(piece)
        if text is not None:
            text(piece)

    chain = _Chain(names, parms, counter, sink if (keep or inline) else None)
    n, step = len(raw), 1 << 18
    if not chain.stages:
        if inline:  # an unfiltered content stream may still hold inline images
            for pos in range(0, n, step):
                sink(bytes(raw[pos:pos + step]))
            if text is not None:
                text.check()
        return bytes(raw[:keep]) if keep else b""
    for pos in range(0, n, step):
        chain.push(bytes(raw[pos:pos + step]))
        if chain.done:
            break
    if text is not None:
        text.check()
    return bytes(kept)


def inflated_bytes(data: bytes, limit: int, seconds: float = 60.0, page_chars: int = 0) -> int:
    """The bytes PDFium would inflate reading ``data`` (every layer of every stream, object streams and
    inline images), counted up to just past ``limit`` (then ``_Over`` is raised). With ``page_chars``,
    a content stream whose strings hold over twice that many bytes raises ``_TooMuchText``."""
    counter = _Counter(limit, time.monotonic() + seconds)
    f = _File(data)
    objstms = [s for s in f.streams if str(f.resolve(s.dict.get("Type")) or "") == "ObjStm"]
    for s in objstms:  # first, so that objects kept in them (a /Filter, a /Length) can be resolved
        text = _run(f, s, counter, keep=64 * 1024 * 1024)
        f.index_objstm(text, s.dict)
    done = {id(s) for s in objstms}
    for s in f.streams:
        if id(s) not in done:
            _run(f, s, counter, inline=_type(f, s.dict) == "", page_chars=page_chars)
    if re.search(rb"/Encrypt\b", data):
        _count_encrypted(data, counter, page_chars)
    return counter.total


def _count_encrypted(data: bytes, counter: _Counter, page_chars: int) -> None:
    """An encrypted PDF that opens without a password (PDFium decrypts it): its streams, decrypted by
    pypdf (RC4 here; AES needs the cryptography package), counted like any others. What cannot be
    decrypted here is still bounded by the sandbox worker's memory cap."""
    import io
    import logging

    try:
        from pypdf import PdfReader
        from pypdf.generic import IndirectObject, StreamObject

        logging.getLogger("pypdf").setLevel(logging.ERROR)
        r = PdfReader(io.BytesIO(data), strict=False)
        if not r.is_encrypted or not r.decrypt(""):
            return
        for gen, objs in list(r.xref.items()):
            for num in list(objs):
                obj = r.get_object(IndirectObject(num, gen, r))
                if not isinstance(obj, StreamObject):
                    continue
                d = {str(k).lstrip("/"): v for k, v in obj.items()}
                f = d.get("Filter")
                names = filter_names([Name(str(x).lstrip("/")) for x in f] if isinstance(f, list)
                                     else Name(str(f).lstrip("/")) if f is not None else None)
                parms = d.get("DecodeParms")
                parms = [{str(k).lstrip("/"): v for k, v in p.items()} if hasattr(p, "items") else None
                         for p in (parms if isinstance(parms, list) else [parms])]
                kind = {str(d.get("Type", "")).lstrip("/"), str(d.get("Subtype", "")).lstrip("/")}
                content = not (kind & NOT_CONTENT) and not any(k in d for k in ("Length1", "Length2", "Length3"))
                _run_bytes(obj._data, names, parms, counter, inline=content, page_chars=page_chars)
    except (_Over, _TooMuchText, TimeoutError):
        raise
    except Exception:  # noqa: BLE001 - pypdf could not read or decrypt it: the memory cap still holds
        return


def check_streams(path, data: bytes, limit: int, seconds: float = TIME_LIMIT_S,
                  page_chars: int = MAX_PAGE_CHARS) -> int:
    """Refuse a PDF whose streams inflate past ``limit`` bytes in all (a decompression bomb), or with a
    content stream printing far more characters than a page may (``page_chars``: ``Limits.page_chars``);
    the bytes inflated otherwise."""
    try:
        return inflated_bytes(data, limit, seconds, page_chars)
    except _Over:
        raise BadPaper(
            path, f"has compressed streams that inflate past {limit / (1024 * 1024):g} MB "
                  "(a decompression bomb?); raise SISTERQA_MAX_PDF_STREAM_MB if it is genuine") from None
    except _TooMuchText as e:
        raise BadPaper(path, f"has {'over' if e.more else 'about'} {count_text(e.n)} characters on one page, over "
                             f"the limit of {page_chars:,} a page (raise it with SISTERQA_MAX_PAGE_CHARS)") from None
    except TimeoutError:
        raise BadPaper(path, f"took over {seconds:g} s to check its compressed streams "
                             "(raise SISTERQA_PDF_TIME_LIMIT_S)") from None


# ---------------------------------------------------------------- why no page could be read


def page_tree_problem(data: bytes) -> str | None:
    """What is wrong with the page tree, when PDFium could load none of the pages: a reference loop,
    kids that are not pages, or a tree that cannot be found; None when it looks sound."""
    f = _File(data)
    roots = re.findall(rb"/Root[\x00\t\n\x0c\r ]*(\d+)[\x00\t\n\x0c\r ]+(\d+)[\x00\t\n\x0c\r ]+R", data)
    if not roots:
        return "has no document catalog (/Root), so no page tree"
    catalog = f.resolve(Ref(int(roots[-1][0]), int(roots[-1][1])))
    if not isinstance(catalog, dict) or not isinstance(catalog.get("Pages"), Ref):
        return "has a broken page tree (the catalog names no /Pages)"
    bad: list[str] = []
    on_path: set[int] = set()
    visited = 0
    stack: list = [(catalog["Pages"], False)]
    while stack and visited < 100_000:
        ref, leaving = stack.pop()
        if leaving:
            on_path.discard(ref.num)
            continue
        visited += 1
        if not isinstance(ref, Ref):
            bad.append("a kid that is not a reference")
            continue
        if ref.num in on_path:
            return "has a page tree with a reference loop (a /Pages node is its own descendant)"
        node = f.resolve(ref)
        if not isinstance(node, dict):
            bad.append(f"object {ref.num} is missing")
            continue
        kind = str(node.get("Type") or "")
        if kind == "Pages" or (not kind and "Kids" in node):
            kids = f.resolve(node.get("Kids"))
            if not isinstance(kids, list):
                bad.append(f"object {ref.num} has no /Kids")
                continue
            on_path.add(ref.num)
            stack.append((ref, True))
            stack.extend((k, False) for k in kids)
        elif kind != "Page":
            bad.append(f"object {ref.num} is a /{kind or 'dictionary'}, not a page")
    if bad:
        return f"has a broken page tree ({'; '.join(bad[:3])}{'…' if len(bad) > 3 else ''})"
    return None


def no_text_reason(data: bytes, pages: int, unreadable: int, warnings: list[str]) -> str:
    """Why a PDF yielded no text at all, in one line: a broken page tree or reference loop, pages that
    could not be loaded, a scan (pages with images), or pages with nothing on them."""
    if unreadable == pages:
        problem = page_tree_problem(data)
        if problem:
            return problem
        return f"has {pages} page{'s' if pages != 1 else ''}, none of which could be loaded (a damaged PDF)"
    if any(w.endswith("run OCR on it)") for w in warnings):
        return "has no extractable text (a scanned PDF without a text layer? run OCR on it first)"
    return "has no extractable text (its pages hold neither text nor images)"


# ---------------------------------------------------------------- reading in the sandbox


def read_pdf_bounded(path, data: bytes, lim: Limits = Limits()):
    """``ingest.pdf.read_pdf`` under ``lim`` in the sandbox worker (``ingest.sandbox``, capped at
    ``lim.memory_mb``): a PDF that needs more memory than the cap, crashes PDFium or outlives the time
    limit is refused in one line, and the caller (an ingest, the chat's server) never holds what PDFium
    built. The worker gets ``lim`` with the call, never the caller's environment."""
    from . import sandbox

    try:
        return sandbox.call("sisterqa.ingest.pdfguard:_read_pdf_with", str(path), data, lim,
                            seconds=lim.seconds + 10, mb=lim.memory_mb)
    except sandbox.WorkerDied as e:
        if e.why.startswith("took"):
            raise BadPaper(path, f"took over {lim.seconds:g} s to read (stopped inside a page; "
                                 "raise SISTERQA_PDF_TIME_LIMIT_S)") from None
        raise BadPaper(path, f"{e.why} to read (PDFium gave up; raise SISTERQA_PDF_MEMORY_MB if it is "
                             "genuine)") from None
    except RuntimeError as e:
        raise BadPaper(path, f"could not be read as a PDF ({e})") from None


def _read_pdf_with(path: str, data: bytes, lim: Limits):
    """In the worker: ``read_pdf`` under the caller's limits (sent with each call: the worker outlives them)."""
    from .pdf import read_pdf

    return read_pdf(path, data, limits=lim)
