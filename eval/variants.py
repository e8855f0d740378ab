"""Variants of a gold set that ask the same items in another conversation.

``new_topic``: each self-contained answerable item asked right after another
item's question about a different paper (issue 20). A system that carries every
earlier turn into the next one answers these worse than the items alone; one that
tells a new topic from a follow-up answers them the same.
"""

from __future__ import annotations

from pathlib import Path


def _papers(item: dict) -> set[str]:
    return {Path(ev["doc"]).stem for ev in item.get("evidence", [])}


def new_topic(items: list[dict]) -> list[tuple[int, dict]]:
    """(index of the item alone, the item asked after an unrelated question) for every self-contained
    answerable item: the earlier question is the next such item's (in file order, wrapping around)
    whose evidence lies in other papers."""
    alone = [i for i, it in enumerate(items)
             if it["type"] not in ("followup", "unanswerable") and not it.get("history") and _papers(it)]
    out = []
    for k, i in enumerate(alone):
        mine = _papers(items[i])
        for step in range(1, len(alone)):
            j = alone[(k + step) % len(alone)]
            if not _papers(items[j]) & mine:
                out.append((i, {**items[i], "id": f"{items[i]['id']}~after~{items[j]['id']}",
                                "history": [items[j]["question"]]}))
                break
    return out


def compare(metrics_alone: dict, metrics_after: dict, keys) -> dict:
    """Each metric alone, after an unrelated turn, and the difference (after − alone)."""
    return {k: {"alone": metrics_alone[k], "after": metrics_after[k], "diff": metrics_after[k] - metrics_alone[k]}
            for k in keys if k in metrics_alone and k in metrics_after}
