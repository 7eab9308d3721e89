"""How long `make up` takes after install: emulator start, emulated deploy, tasks running.

Runs `make up` (port 4566, like a user) a few times after one untimed warm-up run (which
also performs the install if the virtualenv is stale), and the CLI directly on a free port.
Prints wall-clock seconds; it is a measurement, not a test.

    .venv/bin/python benchmarks/make_up.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def timed(command: list[str]) -> float:
    env = {
        k: v for k, v in os.environ.items() if k not in ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL")
    }
    started = time.perf_counter()
    run = subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({run.returncode}): {run.stderr.strip()[-500:]}")
    return seconds


def report(label: str, samples: list[float]) -> None:
    print(
        f"{label:<40} runs={len(samples)}  min={min(samples):5.2f}s  "
        f"median={statistics.median(samples):5.2f}s  max={max(samples):5.2f}s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "localcloud", "up", "--port", "0",
           "--outputs", "/tmp/localcloud-bench-outputs.json"]  # fmt: skip
    if port_is_free(4566):
        timed(["make", "up"])  # warm-up (and install, if needed)
        report("make up (port 4566)", [timed(["make", "up"]) for _ in range(args.runs)])
    else:
        print("make up: skipped, port 4566 is busy")
        timed(cli)
    report("python -m localcloud up --port 0", [timed(cli) for _ in range(args.runs)])


if __name__ == "__main__":
    main()
