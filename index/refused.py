"""Files an ingest refused, remembered by content so one bad file never costs every later ingest.

``<index dir>/refused.json`` maps a file's sha256 to where it was, why it was refused and under which
limits: ``{"<sha256>": {"path": "corpus/x.pdf", "reason": "…", "limits": "…", "when": "…"}}``. An
ingest does not read such a file again while its content and the limits are the same (it still
lists it as failed, with its reason, so the CLI, the upload results and the Papers page keep
showing it); a changed file, raised limits or ``ingest --full`` read it again. Written atomically
by the ingest that holds the lock; a damaged file is treated as empty.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from sisterqa.ingest.pdfguard import Limits

FILE = "refused.json"
AGAIN = "refused before; not read again until the file or the limits change, or `sisterqa ingest --full`"


def limits_key(lim: Limits, max_bytes: int) -> str:
    """What a refusal depends on besides the content: the reading limits in force (the ingest's
    settings: ``BuildSettings.limits`` and ``max_bytes``)."""
    return json.dumps([lim.pages, lim.seconds, lim.stream_bytes, lim.page_chars, lim.paper_chars,
                       lim.passages, lim.memory_mb, max_bytes])


def load(index_root: Path) -> dict[str, dict]:
    """The refused files of the index at ``index_root`` (sha256 → record); {} when there are none."""
    try:
        data = json.loads((Path(index_root) / FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, dict) and isinstance(v.get("reason"), str)}


def save(index_root: Path, records: dict[str, dict]) -> None:
    """Replace the record (atomically: a temporary file renamed over it). Call with the lock held."""
    path = Path(index_root) / FILE
    if not records:
        path.unlink(missing_ok=True)
        return
    tmp = path.with_name(f".{FILE}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(records, ensure_ascii=True, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def record(path: str, reason: str, key: str) -> dict:
    return {"path": path, "reason": reason, "limits": key, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def listed(index_root: Path) -> list[dict]:
    """The refused files for people (the Papers page): [{"path", "reason", "sha256", "when"}], by path."""
    return sorted(({"sha256": k, **v} for k, v in load(index_root).items()), key=lambda r: str(r.get("path")))
