"""Child processes of the benches: run a command and measure it (wall time, exit code, output,
peak memory); run a task of ``eval.bench_child`` and read back the JSON it prints.

A task's arguments go to the child as a JSON file (``python -m sisterqa.eval.bench_child TASK
ARGS.json``); its result comes back as JSON on the last line of its standard output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHILD_MODULE = "sisterqa.eval.bench_child"


def run_child(cmd: list[str], cwd: Path | None = None, env: dict | None = None,
              timeout: float = 3600) -> dict:
    """Run ``cmd``; its wall time, exit code, output and peak RSS (os.wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        deadline = t0 + timeout
        while True:
            pid, status, usage = os.wait4(p.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                p.kill()
                pid, status, usage = os.wait4(p.pid, 0)
                break
            time.sleep(0.005)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return {"wall_s": wall, "rc": p.returncode, "stdout": out.read().decode("utf-8", "replace"),
                "stderr": err.read().decode("utf-8", "replace"), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def task_child(task: str, args: dict, cwd: Path | None = None, env: dict | None = None) -> dict:
    """Run ``eval.bench_child`` task ``task`` with ``args`` in a fresh interpreter; the JSON on its
    last stdout line (its keys, and the whole value as ``_result``), its peak RSS and wall time."""
    fd, name = tempfile.mkstemp(prefix=f"sisterqa-{task}-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(args, f)
        r = run_child([sys.executable, "-m", CHILD_MODULE, task, name], cwd=cwd or ROOT, env=env)
    finally:
        os.unlink(name)
    if r["rc"] != 0:
        raise RuntimeError(f"bench child failed ({r['rc']}): {r['stderr'][-2000:]}")
    lines = [x for x in r["stdout"].splitlines() if x.strip()]
    value = json.loads(lines[-1])
    return {**(value if isinstance(value, dict) else {}), "_result": value, "_child_peak_rss_mb": r["peak_rss_mb"],
            "_child_wall_s": r["wall_s"]}


def child_env() -> dict:
    """The environment for children: no LLM server (answers stay extractive), quiet thread pools."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SISTERQA_LLM_")}
    env.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    env["PYTHONPATH"] = os.pathsep.join(x for x in (str(ROOT), env.get("PYTHONPATH")) if x)
    return env
