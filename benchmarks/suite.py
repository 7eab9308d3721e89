"""How long the test suite takes: wall time and CPU time of whole pytest runs.

Runs ``pytest -n JOBS --dist loadfile`` (as ``make test`` does) over the suite, by default
without the Docker tests (``-m "not docker"``), a few times, and prints each run's wall time,
its CPU time (user + system of pytest and of every process it started, directly or not: this
process is their subreaper, so processes that outlive their parents, like the workers' shared
preloaded Python, are reaped and counted here) and the test counts, then the median. A
measurement, not a test: run it on an otherwise idle machine.

    .venv/bin/python benchmarks/suite.py [--runs 3] [--jobs N] [--marker "not docker"] [PATH...]
"""

from __future__ import annotations

import argparse
import ctypes
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SUMMARY = re.compile(r"(\d+) passed(?:, (\d+) skipped)?.* in ")
PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    """Orphaned descendants become this process's children (Linux), so their CPU is counted."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1) != 0:
        sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER): {os.strerror(ctypes.get_errno())}")


def reap_orphans(timeout: float = 30) -> None:
    """Wait for the descendants still running after pytest exited (they end with it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.05)
    sys.exit(f"processes started by pytest still run {timeout} s after it")


def run_once(jobs: int, marker: str, paths: list[str]) -> tuple[float, float, str]:
    """One pytest run: (wall seconds, CPU seconds, pytest's summary line)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", str(jobs), "--dist", "loadfile", "-q",
         "-p", "no:cacheprovider", "-m", marker, *paths],
        cwd=PROJECT, capture_output=True, text=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )  # fmt: skip
    wall = time.monotonic() - started
    reap_orphans()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = run.stdout.strip().splitlines()
    if run.returncode != 0 or not lines or not SUMMARY.search(lines[-1]):
        sys.exit(f"pytest exited {run.returncode}: {' '.join(lines[-3:])}")
    return wall, cpu, lines[-1].strip("= ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=(os.cpu_count() or 1) * 2)
    parser.add_argument("--marker", default="not docker")
    parser.add_argument("paths", nargs="*", help="test files or directories (default: all)")
    args = parser.parse_args()
    become_subreaper()
    print(f"pytest -n {args.jobs} -m {args.marker!r}, {os.cpu_count()} CPUs, {args.runs} runs")
    walls = []
    for number in range(1, args.runs + 1):
        wall, cpu, summary = run_once(args.jobs, args.marker, args.paths)
        walls.append(wall)
        print(f"run {number}: {wall:6.1f} s wall, {cpu:6.1f} s CPU  ({summary})", flush=True)
    print(f"median {statistics.median(walls):.1f} s wall")


if __name__ == "__main__":
    main()
