"""The feeds benchmark still runs, and the nginx it starts is configured by the README's sample."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "bench" / "feeds_bench.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("feeds_bench", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("feeds_bench", module)  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


def test_the_bench_runs_the_readme_nginx_sample(bench: ModuleType, tmp_path: Path) -> None:
    config = bench.nginx_config(tmp_path, 8081, 8123, tmp_path / "static")
    sample = bench.readme_cache_sample()
    sample = sample.replace(bench.README_UPSTREAM, "http://127.0.0.1:8123")
    sample = sample.replace(bench.README_CACHE_DIR, str(tmp_path / "cache"))
    start = sample.index("location /feeds/")
    location = sample[start : sample.index("\n    }\n", start) + 6]
    assert location in config  # the README's block, line for line
    cache_path = next(line for line in sample.splitlines() if line.startswith("proxy_cache_path"))
    assert cache_path in config
    assert "proxy_cache feeds;" in location and "proxy_cache_revalidate on;" in location


@pytest.mark.skipif(
    not shutil.which("nginx") and not Path("/usr/sbin/nginx").exists(),
    reason="nginx is not installed (apt-get install nginx)",
)
def test_nginx_accepts_the_config(bench: ModuleType, tmp_path: Path) -> None:
    for sub in ("tmp", "cache", "static"):
        (tmp_path / sub).mkdir()
    (tmp_path / "nginx.conf").write_text(
        bench.nginx_config(tmp_path, 8081, 8123, tmp_path / "static")
    )
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    command = [
        nginx,
        "-t",
        "-p",
        f"{tmp_path}/",
        "-c",
        f"{tmp_path}/nginx.conf",
        "-e",
        f"{tmp_path}/error.log",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr


def test_in_process_rows_run_quick(tmp_path: Path) -> None:
    command = [
        sys.executable,
        str(SCRIPT),
        "--quick",
        "--no-http",
        "--repeat",
        "3",
        "--out",
        str(tmp_path),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "| ours: first request after a publish (50 items" in done.stdout
    assert "| HTTP rows | skipped |" in done.stdout
    results = json.loads((tmp_path / "feeds_bench.json").read_text())
    regeneration = results["regeneration"]
    assert regeneration["items"] == 50
    assert regeneration["ours_ms"] > 0 and regeneration["feedgen_ms"] > 0


def test_the_runner_finds_it() -> None:
    command = [sys.executable, str(ROOT / "bench" / "run.py"), "--list", "feeds"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0, done.stderr
    assert "bench/feeds_bench.py" in done.stdout
