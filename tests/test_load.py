"""Many chat sessions at once (issue 14): a real `sisterqa ui` server, one Chromium, one browser
context per session, all asking at the same moment (eval.bench.bench_load). Here
`sisterqa bench --only load --sessions 5`, the README's run uses 20: about 20-40 s."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # the everyday loop is `pytest -m "not slow"`

from sisterqa.eval.bench import CHROMIUM


def test_five_sessions_at_once_all_answered_none_mixed_up(built_index, tmp_path):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium package (apt-get install chromium)")
    shutil.copytree(built_index, tmp_path / "idx")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERQA_")}
    env["SISTERQA_INDEX_DIR"] = str(tmp_path / "idx")
    r = subprocess.run([sys.executable, "-m", "sisterqa", "bench", "--only", "load", "--sessions", "5"],
                       cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    out = json.loads(r.stdout)
    assert set(out) == {"quick", "machine", "sections", "load", "runtime_s"}  # just the load section
    load = out["load"]
    assert load["errors"] == [] and load["answered"] == load["sessions"] == 5
    assert load["mixed_up"] == 0, load["mixed_up_questions"]
    assert load["tracebacks"] == 0
    assert 0 < load["answer_s_p50"] <= load["answer_s_p95"] <= load["answer_s_max"] < 240
    bad = subprocess.run([sys.executable, "-m", "sisterqa", "bench", "--only", "nonsense"], cwd=tmp_path,
                         env=env, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "unknown bench section nonsense" in bad.stderr
