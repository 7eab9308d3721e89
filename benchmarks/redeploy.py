"""What an unchanged re-deploy costs: API calls (target: reads only) and wall time.

Starts the embedded local cloud on a free port, deploys the local stack into an empty state
(untimed), waits until its service converged, then deploys the same stack again a few times
with nothing changed, counting every AWS API call the deploy's clients send (a botocore
``before-call`` hook) and timing each run. A measurement, not a test.

    .venv/bin/python benchmarks/redeploy.py [--runs 5] [--stack-config F]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from localcloud import LocalCloud  # noqa: E402
from localcloud.deploy import deploy  # noqa: E402
from localcloud.summary import declared_services, wait_until_converged  # noqa: E402

READ_PREFIXES = ("Describe", "List", "Get")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stack-config", default=str(PROJECT / "stacks/Pulumi.localstack.yaml"))
    args = parser.parse_args()
    state = Path(tempfile.mkdtemp(prefix="localcloud-redeploy-")) / "state.json"
    with LocalCloud(port=0, task_start_delay=0.2, tick_interval=0.1) as cloud:
        first = deploy(cloud, args.stack_config, state_path=state)
        wait_until_converged(cloud, declared_services(first.outputs), timeout=60)
        resources = sum(1 for r in first.resources if r.custom)
        print(f"first deploy: {resources} AWS resources, {sum(first.api_calls.values())} API "
              f"calls, {first.seconds:.2f} s")  # fmt: skip
        seconds, calls = [], Counter()
        for _ in range(args.runs):
            started = time.perf_counter()
            again = deploy(cloud, args.stack_config, state_path=state)
            seconds.append(time.perf_counter() - started)
            calls = again.api_calls
            changed = again.plan.changes
            if changed:
                sys.exit(f"an unchanged re-deploy planned changes: {changed}")
    writes = {c: n for c, n in calls.items() if not c.split(".", 1)[1].startswith(READ_PREFIXES)}
    print(f"unchanged re-deploy, runs={args.runs}: median {statistics.median(seconds):.2f} s "
          f"(min {min(seconds):.2f}, max {max(seconds):.2f})")  # fmt: skip
    print(f"API calls per re-deploy: {sum(calls.values())} "
          f"({', '.join(f'{c} x{n}' for c, n in sorted(calls.items()))}); "
          f"writes: {sum(writes.values())}")  # fmt: skip


if __name__ == "__main__":
    main()
