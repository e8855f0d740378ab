"""Corrections to a paper's metadata, saved where ingest reads it: ``metadata.json`` beside the paper.

``save_metadata`` updates the paper's entry (title, authors, year, language,
venue, and the bibliographic type, institution, DOI and URL) in the ``metadata.json`` of the paper's folder, atomically, keeping
every other entry and key. The next ``ingest`` sees the paper unchanged and
only rewrites its metadata in a new index version: nothing is embedded again
(the stored vectors were made with the old title in their ``title — section``
prefix; ``sisterqa ingest --full`` re-embeds with the new one).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sisterqa.index.store import write_atomic
from sisterqa.ingest.errors import SisterQAError
from sisterqa.ingest.read import METADATA_FILE, read_metadata

FIELDS = ("title", "authors", "year", "language", "venue", "type", "institution", "doi", "url")


class BadMetadata(SisterQAError):
    """A metadata correction that cannot be saved as given."""

    exit_code = 1


def clean_fields(title: str, authors, year, language: str, venue: str, type: str | None = None,
                 institution: str | None = None, doi: str | None = None, url: str | None = None) -> dict:
    """The corrected fields, checked: a title, authors as a list, a plausible year or none, a known
    type, a DOI (``10.…/…``; a doi.org address or ``doi:`` is taken too), a web address."""
    from .references import TYPES
    title = " ".join(str(title or "").split())
    if not title:
        raise BadMetadata("a paper needs a title")
    if isinstance(authors, str):
        authors = authors.replace(";", "\n").split("\n")
    authors = [" ".join(str(a).split()) for a in (authors or []) if str(a).strip()]
    if year in (None, ""):
        year = None
    else:
        try:
            year = int(str(year).strip())
        except ValueError:
            raise BadMetadata(f"the year must be a number, not {year!r}") from None
        if not 1800 <= year <= 2100:
            raise BadMetadata(f"the year {year} is not plausible for a paper")
    language = str(language or "").strip().lower()
    if language and not (2 <= len(language) <= 3 and language.isalpha()):
        raise BadMetadata(f"the language must be a code such as en or id, not {language!r}")
    venue = " ".join(str(venue or "").split()) or None
    out = {"title": title, "authors": authors, "year": year, "language": language or None, "venue": venue}
    # The bibliographic fields: None (not given) leaves the saved value as it is; "" clears it.
    if type is not None:
        kind = str(type).strip().lower() or None
        if kind and kind not in TYPES:
            raise BadMetadata(f"the type must be one of {', '.join(TYPES)}, not {kind!r}")
        out["type"] = kind
    if institution is not None:
        out["institution"] = " ".join(str(institution).split()) or None
    if doi is not None:
        doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi\s*:\s*)", "", str(doi).strip(), flags=re.I) or None
        if doi and not re.fullmatch(r"10\.\d{4,9}/\S+", doi):
            raise BadMetadata(f"a DOI looks like 10.1234/abc, not {doi!r}")
        out["doi"] = doi
    if url is not None:
        url = str(url).strip() or None
        if url and not re.fullmatch(r"https?://\S+", url):
            raise BadMetadata(f"the URL must start with http:// or https://, not {url!r}")
        out["url"] = url
    return out


def metadata_path(paper: dict, root: Path) -> tuple[Path, str]:
    """The ``metadata.json`` a paper's entry lives in and its key (the file name)."""
    path = Path(paper["path"])
    path = path if path.is_absolute() else Path(root) / path
    return path.parent / METADATA_FILE, path.name


def save_metadata(paper: dict, fields: dict, root: Path) -> Path:
    """Write ``fields`` (from ``clean_fields``) into the paper's entry; returns the file written."""
    file, key = metadata_path(paper, root)
    try:
        data = read_metadata(file.parent)
    except SisterQAError as e:
        raise BadMetadata(f"{file} cannot be updated: {e}") from e
    entry = dict(data.get(key) or {})
    entry.update({k: fields[k] for k in FIELDS if k in fields})
    for k in ("type", "doi", "url"):  # bibliographic fields ingest cannot find: absent when empty
        if k in entry and not entry[k]:
            del entry[k]
    data[key] = entry
    try:
        write_atomic(file, (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))
    except OSError as e:
        raise BadMetadata(f"{file} cannot be written ({e.strerror or e})") from e
    return file
