"""Time from `localcloud up` to the first HTTP 200 through the local ALB (Docker, image cached).

Starts `python -m localcloud up --serve` on a free port (a subprocess, as a user would), finds
the load balancer's local URL in `.localcloud/endpoints.json` (written by the local load
balancer once its listeners serve) or in the printed output, and polls it until it answers 200.
One untimed warm-up run builds the demo image; then the median of `--runs` runs is printed.
It is a measurement, not a test; it needs a Docker Engine.

    .venv/bin/python benchmarks/first_response.py [--runs 3] [--timeout 60]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from localcloud.testing import free_port

PROJECT = Path(__file__).resolve().parent.parent
ENDPOINTS = PROJECT / ".localcloud" / "endpoints.json"
LOCAL_URL = re.compile(r"https?://127\.0\.0\.1:\d+[^\s\"']*")


def endpoint_urls(written_after: float) -> list[str]:
    """Local URLs of `.localcloud/endpoints.json` (DNS name -> listener port -> URL), if this
    run wrote it."""
    try:
        if ENDPOINTS.stat().st_mtime < written_after:
            return []
        document = json.loads(ENDPOINTS.read_text())
    except (OSError, ValueError):
        return []
    return [
        str(url)
        for listeners in document.values()
        if isinstance(listeners, dict)
        for url in listeners.values()
    ]


def answers_200(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def first_response(timeout: float) -> float:
    """Seconds from spawning `up` to the first 200 from a local load balancer URL."""
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("LOCALSTACK_ENDPOINT", "AWS_ENDPOINT_URL")
    }
    started_wall = time.time()
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "localcloud", "up", "--serve", "--port", str(port),
         "--outputs", f"/tmp/localcloud-first-response-{port}.json"],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )  # fmt: skip
    printed: list[str] = []
    reader = threading.Thread(target=printed.extend, args=(process.stdout,), daemon=True)
    reader.start()
    emulator = re.compile(rf"https?://127\.0\.0\.1:{port}(?!\d)")
    try:
        while time.perf_counter() - started < timeout:
            if process.poll() is not None:
                sys.exit(
                    f"localcloud up exited ({process.returncode}):\n{''.join(printed)[-2000:]}"
                )
            seen = [u for u in LOCAL_URL.findall("".join(printed)) if not emulator.match(u)]
            for url in endpoint_urls(started_wall) + seen:
                if answers_200(url):
                    return time.perf_counter() - started
            time.sleep(0.05)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    urls = endpoint_urls(started_wall)
    listed = f"lists {', '.join(urls)}" if urls else "was not written by this run"
    sys.exit(
        f"no HTTP 200 from a local load balancer URL within {timeout:g} s: {ENDPOINTS} {listed}. "
        "Serving listeners on 127.0.0.1 needs the local load balancer and the docker runtime "
        "(the local data plane merged); the output was:\n" + "".join(printed)[-1500:]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    sys.path.insert(0, str(PROJECT))
    from localcloud.dockerd import daemon_status

    status = daemon_status()
    if not status.available:
        sys.exit(f"needs a Docker Engine: {status.reason}")
    warm = first_response(args.timeout)  # builds (caches) the demo image
    samples = [first_response(args.timeout) for _ in range(args.runs)]
    print(f"warm-up (demo image built): {warm:5.2f}s")
    print(
        f"localcloud up -> first 200 via the local ALB  runs={len(samples)}  "
        f"min={min(samples):5.2f}s  median={statistics.median(samples):5.2f}s  "
        f"max={max(samples):5.2f}s"
    )


if __name__ == "__main__":
    main()
