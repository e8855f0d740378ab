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


def measure_file(path: Path, pdftotext: str | None) -> dict:
    from sisterqa.ingest.errors import BadPaper
    from sisterqa.ingest.pdf import read_pdf

    data = path.read_bytes()
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        r = read_pdf(path, data)
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
    rows = []
    for i, f in enumerate(files):
        progress(f"{i + 1}/{len(files)} {f.name}")
        rows.append(measure_file(f, pdftotext))
    return {"summary": summarise(rows), "files": rows}


def main(argv: list[str] | None = None) -> None:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args(argv)
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
