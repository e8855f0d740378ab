"""Stress the PDF reader on PDFs no one here wrote: Debian's LaTeX documentation (not committed).

    apt-get download texlive-latex-base-doc && dpkg-deb -x texlive-latex-base-doc_*.deb /tmp/texdoc
    python -m sisterqa.eval.pdfstress /tmp/texdoc [--limit N] [--json]

Per file, ``ingest.pdf.read_pdf`` on the bytes, and:

- ``glued``: words of our text that poppler's ``pdftotext`` never prints but that split into two or
  more words it does print (``Thismacrotakescare``): words run together for want of a space;
- ``hyphens_left``: ``docu- mentation`` left in the text where the joined word occurs in the same
  document;
- ``ligatures``: ligature characters (ﬁ, ﬂ …) left in the text;
- ``title_is_metadata``: for a file with a metadata /Title, whether our title equals it (after NFKC
  and folding white space);
- ``failed``: the reason a file was refused; seconds per page (wall clock and CPU).

``pdftotext`` (GPL, Debian's poppler-utils) is used only here, as a reference; without it the
glued-word share is not measured.

``--hostile`` is another section: it builds the hostile files of ``eval/hostile.py`` (decompression
bombs in every spelling, millions of characters on a page, forms drawing forms, broken page trees,
text that is not valid Unicode …) in DIR and reads each in a child process as ingest reads it, then
draws the page of each that was read as the chat's page view does, reporting for each its outcome
(the one-line refusal, or what was read), the seconds and the peak memory (the larger of the child
and its sandbox worker):

    python -m sisterqa.eval.pdfstress /tmp/hostile --hostile [--json] [--scale 0.1]
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

_WORD = re.compile(r"[^\W\d_]+")


def _vocab(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text)}


def _splits(word: str, vocab: set[str], depth: int = 0) -> bool:
    """Can ``word`` be cut into ≥ 2 words of ``vocab`` (each ≥ 2 letters)?"""
    if depth > 4:
        return False
    for i in range(2, len(word) - 1):
        left, right = word[:i], word[i:]
        if left in vocab and (right in vocab or _splits(right, vocab, depth + 1)):
            return True
    return False


def glued_words(ours: str, reference: str) -> tuple[int, int, list[str]]:
    """(glued, total words, examples): our words ≥ 8 letters that the reference never prints but that
    split into words it does print."""
    ref = _vocab(reference)
    words = _WORD.findall(ours)
    glued = [w for w in words if len(w) >= 8 and w.lower() not in ref and _splits(w.lower(), ref)]
    return len(glued), len(words), glued[:5]


def hyphens_left(text: str) -> tuple[int, list[str]]:
    vocab = _vocab(text)
    hits = [m.group(0) for m in re.finditer(r"([^\W\d_]{2,})- ([a-z][^\W\d_]+)", text)
            if (m.group(1) + m.group(2)).lower() in vocab]
    return len(hits), hits[:5]


def _fold(s: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", s)).strip()


def _limits():
    """The reading limits of the settings (SISTERQA_MAX_PAPER_CHARS=… and the others, sisterqa.toml)."""
    from sisterqa.app.settings import load_settings

    return load_settings().build.limits


def measure_file(path: Path, pdftotext: str | None, limits=None) -> dict:
    from sisterqa.ingest.errors import BadPaper
    from sisterqa.ingest.pdf import read_pdf

    data = path.read_bytes()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        r = read_pdf(path, data, limits=limits or _limits())
    except BadPaper as e:
        return {"file": path.name, "failed": e.reason, "seconds": time.perf_counter() - t0}
    except Exception as e:  # noqa: BLE001 - what a stress run is for
        return {"file": path.name, "failed": f"crash: {type(e).__name__}: {e}", "seconds": time.perf_counter() - t0}
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    out = {"file": path.name, "failed": None, "pages": r.page_count, "seconds": seconds, "cpu_seconds": cpu,
           "words": len(_WORD.findall(r.text)), "warnings": len(r.warnings),
           "ligatures": len(re.findall("[\ufb00-\ufb06]", r.text)),
           "metadata_title": r.metadata_title, "title": r.title}
    out["hyphens_left"], out["hyphen_examples"] = hyphens_left(r.text)
    if r.metadata_title:
        out["title_is_metadata"] = _fold(r.title) == _fold(r.metadata_title)
    if pdftotext:
        ref = subprocess.run([pdftotext, "-enc", "UTF-8", str(path), "-"], capture_output=True,
                             text=True, timeout=120).stdout
        out["glued"], _, out["glued_examples"] = glued_words(r.text, ref)
    return out


def summarise(rows: list[dict]) -> dict:
    ok = [r for r in rows if not r["failed"]]
    words = sum(r["words"] for r in ok) or 1
    pages = sum(r["pages"] for r in ok) or 1
    with_title = [r for r in ok if "title_is_metadata" in r]
    s = {
        "files": len(rows), "failed": len(rows) - len(ok), "pages": pages, "words": words,
        "s_per_page": round(sum(r["seconds"] for r in ok) / pages, 4),
        "cpu_s_per_page": round(sum(r["cpu_seconds"] for r in ok) / pages, 4),
        "hyphens_left_share": round(sum(r["hyphens_left"] for r in ok) / words, 6),
        "ligatures": sum(r["ligatures"] for r in ok),
        "files_with_metadata_title": len(with_title),
        "title_is_metadata_share": round(sum(r["title_is_metadata"] for r in with_title) / len(with_title), 4)
        if with_title else None,
    }
    if ok and "glued" in ok[0]:
        s["glued_share"] = round(sum(r["glued"] for r in ok) / words, 6)
    return s


def run(folder: Path, limit: int | None = None, progress=lambda m: None) -> dict:
    files = sorted(Path(folder).rglob("*.pdf"))[:limit]
    pdftotext = shutil.which("pdftotext")
    limits = _limits()
    rows = []
    for i, f in enumerate(files):
        progress(f"{i + 1}/{len(files)} {f.name}")
        rows.append(measure_file(f, pdftotext, limits))
    return {"summary": summarise(rows), "files": rows}


# ---------------------------------------------------------------- hostile files (issue 24)


def _read_one(path: str, what: str) -> None:
    """In a child process: read one file as ingest does (``what`` = ``read``) or draw its first page as
    the chat's page view does (``page``); print one JSON line with the outcome."""
    from sisterqa.ingest.errors import BadPaper

    limits = _limits()
    t0 = time.perf_counter()
    out: dict = {"error": None}
    try:
        if what == "page":
            from sisterqa.app.page_view import PageShot, render_page

            out["png_bytes"] = len(render_page(PageShot(path, 1, ((72.0, 700.0, 300.0, 720.0),), limits.memory_mb)))
        else:
            from sisterqa.ingest.read import read_paper

            paper = read_paper(Path(path), limits=limits)
            out.update(chars=len(paper.text), pages=paper.page_count, warnings=list(paper.warnings))
    except BadPaper as e:
        out["error"] = e.reason
    except Exception as e:  # noqa: BLE001 - what a stress run is for
        out["error"] = f"crash: {type(e).__name__}: {e}"
    out["seconds"] = round(time.perf_counter() - t0, 2)
    from sisterqa.ingest import sandbox

    # the sandbox worker's peak (it read the PDF or drew the page); None when it died at its memory cap
    out["worker_peak_mb"] = round(sandbox.peak_mb("page" if what == "page" else "pdf"), 1) or None
    print(json.dumps(out))


def measure_child(path: Path, what: str = "read", timeout: float = 600, env: dict | None = None) -> dict:
    """Read (or draw) ``path`` in a child process: its outcome, wall seconds and peak memory (MB)."""
    import os

    # ru_maxrss of RUSAGE_CHILDREN is the largest child so far: measure each in a fresh grandchild
    code = ("import json, resource, subprocess, sys; "
            "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=%r); "
            "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024; "
            "print(json.dumps({'stdout': p.stdout, 'stderr': p.stderr[-2000:], 'rc': p.returncode, 'peak_mb': peak}))"
            % timeout)
    cmd = [sys.executable, "-c", code, sys.executable, "-m", "sisterqa.eval.pdfstress", "--one", what, str(path)]
    t0 = time.perf_counter()
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout + 30,
                           env={**os.environ, **(env or {})})
        outer = json.loads(r.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, json.JSONDecodeError, IndexError) as e:
        return {"file": path.name, "what": what, "error": f"no result ({type(e).__name__})",
                "seconds": round(time.perf_counter() - t0, 2), "peak_mb": None}
    inner = {}
    lines = [x for x in outer["stdout"].splitlines() if x.startswith("{")]
    if lines:
        inner = json.loads(lines[-1])
    else:
        inner = {"error": f"died (exit {outer['rc']}): {outer['stderr'].strip().splitlines()[-1:]}"}
    return {"file": path.name, "what": what, "bytes": path.stat().st_size, **inner,
            "peak_mb": round(outer["peak_mb"], 1)}


def run_hostile(folder: Path, progress=lambda m: None, scale: float = 1.0) -> list[dict]:
    """Build every hostile file of ``eval.hostile`` in ``folder``; read each in a child process (and
    draw the page of those that read), reporting outcome, seconds and peak memory."""
    from sisterqa.eval.hostile import FILES, build

    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    for h in FILES:
        path = folder / h.name
        path.write_bytes(build(h.name, scale))
        progress(f"hostile {h.name}")
        row = measure_child(path)
        row["expect"] = h.expect
        rows.append(row)
        if not row.get("error"):
            rows.append({**measure_child(path, "page"), "expect": "draw"})
    return rows


def main(argv: list[str] | None = None) -> None:
    import argparse

    if argv and argv[0] == "--one":
        _read_one(argv[2], argv[1])
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--hostile", action="store_true",
                    help="Build the hostile files of eval/hostile.py in FOLDER and report, per file, how it was "
                         "refused or read, seconds and peak memory (each read in a child process).")
    ap.add_argument("--scale", type=float, default=1.0, help="With --hostile: shrink the bombs (0 < scale <= 1).")
    a = ap.parse_args(argv)
    if a.hostile:
        rows = run_hostile(a.folder, progress=lambda m: print(m, file=sys.stderr), scale=a.scale)
        if a.json:
            print(json.dumps({"hostile": rows}, ensure_ascii=False, indent=1))
            return
        for r in rows:
            what = r.get("error") or f"read: {r.get('chars', r.get('png_bytes'))} {'chars' if 'chars' in r else 'PNG bytes'}"
            print(f"{r['file']:28} {r['what']:5} {r['bytes']:>9} B {r.get('seconds', '-'):>7} s "
                  f"{r['peak_mb']:>7} MB {r.get('worker_peak_mb') or '-':>7} MB  {what[:100]}")
        return
    result = run(a.folder, a.limit, progress=lambda m: print(m, file=sys.stderr))
    if a.json:
        print(json.dumps(result, ensure_ascii=False, indent=1))
        return
    print(json.dumps(result["summary"], indent=1))
    worst = sorted((r for r in result["files"] if not r["failed"]),
                   key=lambda r: -(r.get("glued", 0) + r["hyphens_left"]) / max(1, r["words"]))[:8]
    for r in worst:
        print(f"{r['file']}: glued {r.get('glued')} {r.get('glued_examples')}, hyphens {r['hyphens_left']} "
              f"{r['hyphen_examples']}")
    for r in result["files"]:
        if r["failed"]:
            print(f"FAILED {r['file']}: {r['failed']}")
        elif r.get("title_is_metadata") is False:
            print(f"title {r['title']!r} vs metadata {r['metadata_title']!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
