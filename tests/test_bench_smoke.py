"""The benchmarks still run: the store bench on a tiny store, and `make bench` finds it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_store_bench_runs_quick(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(ROOT / "bench" / "store_bench.py"),
        "--quick",
        "--rows", "1500",
        "--repeat", "3",
        "--warmup", "1",
        "--import-count", "50",
        "--out", str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "| sqlite | newest 50 of one category |" in done.stdout
    results = json.loads((tmp_path / "store_bench.json").read_text())
    assert results["rows"] == 1500
    sqlite_rows = [row for row in results["queries"] if row["backend"] == "sqlite"]
    assert {row["query"] for row in sqlite_rows} == {
        "newest 50 of one category",
        "newest 50 of all",
    }
    assert all(row["ours_median_ms"] > 0 and row["raw_median_ms"] > 0 for row in sqlite_rows)
    assert any(row["backend"] == "sqlite" and row["articles"] == 50 for row in results["imports"])
    assert (tmp_path / "store-1500.sqlite3").exists()


def test_bench_runner_finds_the_store_bench() -> None:
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--list", "store"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert "bench/store_bench.py" in done.stdout
    unknown = [sys.executable, str(ROOT / "bench" / "run.py"), "--list", "no-such-bench"]
    done = subprocess.run(unknown, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode != 0
    assert "no benchmark named no-such-bench" in done.stderr


def test_related_rebuild_bench_runs_small() -> None:
    command = [
        sys.executable, str(ROOT / "bench" / "related_rebuild.py"),
        "--stories", "2000", "--articles", "100", "--embeddings", "off",
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "lists written: 100 " in done.stdout
    assert "relating 100 articles" in done.stdout
