"""`make bench`: run every benchmark script in bench/ and say which passed.

Scripts are found by name: ``bench/*_bench.py`` and ``bench/related_*.py``, in name order.
Select some by short name (``store`` for ``store_bench.py``, ``related_quality`` ...):

    .venv/bin/python bench/run.py                      # all of them
    .venv/bin/python bench/run.py store feeds          # only these
    .venv/bin/python bench/run.py --quick              # smoke sizes (scripts that offer --quick)
    make bench ONLY=store QUICK=1                      # the same through make

A script that exits non-zero (a missed target, a crash) makes the whole run exit 1.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

BENCH = Path(__file__).resolve().parent
PATTERNS = ("*_bench.py", "related_*.py")


def short_name(script: Path) -> str:
    return script.stem.removesuffix("_bench")


def discover() -> list[Path]:
    found = {path for pattern in PATTERNS for path in BENCH.glob(pattern) if path.is_file()}
    return sorted(found, key=lambda path: path.name)


def select(scripts: list[Path], wanted: Sequence[str]) -> list[Path]:
    if not wanted:
        return scripts
    by_name = {short_name(s): s for s in scripts} | {s.stem: s for s in scripts}
    unknown = [name for name in wanted if name not in by_name]
    if unknown:
        known = ", ".join(sorted(short_name(s) for s in scripts)) or "none"
        raise SystemExit(f"bench/run.py: no benchmark named {', '.join(unknown)} (known: {known})")
    chosen = {by_name[name] for name in wanted}
    return [s for s in scripts if s in chosen]


def offers_quick(script: Path) -> bool:
    return "--quick" in script.read_text(encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the benchmarks in bench/.")
    parser.add_argument("names", nargs="*", help="only these (short names, e.g. store)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = parser.parse_args(argv)
    names = list(args.names) or os.environ.get("ONLY", "").replace(",", " ").split()
    quick = args.quick or os.environ.get("QUICK", "").lower() in {"1", "true", "yes"}

    scripts = select(discover(), names)
    if args.list:
        for script in scripts:
            print(f"{short_name(script):20} bench/{script.name}")
        return 0
    if not scripts:
        print("bench/run.py: no benchmark scripts found in bench/")
        return 0

    results: list[tuple[str, int, float]] = []
    for script in scripts:
        command = [sys.executable, str(script)]
        if quick and offers_quick(script):
            command.append("--quick")
        print(f"\n=== {script.name} {' '.join(command[2:])}".rstrip(), flush=True)
        started = time.perf_counter()
        code = subprocess.run(command, cwd=BENCH.parent, check=False).returncode
        results.append((script.name, code, time.perf_counter() - started))

    print("\n=== summary")
    for name, code, seconds in results:
        verdict = "ok" if code == 0 else f"FAILED (exit {code})"
        print(f"{name:28} {seconds:8.1f} s  {verdict}")
    return 0 if all(code == 0 for _, code, _ in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
