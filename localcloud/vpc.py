"""The local data plane's network: where a task's ENI address answers on this machine.

On AWS, a load balancer and its health checks reach a Fargate task at its ENI's private IP and
the container port. Locally no such address is routable (test traffic stays on 127.0.0.0/8), so
the task runtime publishes each container port on 127.0.0.1 and records here which loopback
address stands for ``(private IP, container port)``; the local load balancer and the health
checker resolve targets through it. The simulated runtime publishes nothing: its targets have
no local address.
"""

from __future__ import annotations

import threading


class LoopbackAddresses:
    """Thread-safe map ``(private IP, port) -> (loopback host, published port)``."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._by_target: dict[tuple[str, int], tuple[str, int]] = {}

    def publish(self, private_ip: str, port: int, host: str, host_port: int) -> None:
        """Record that ``private_ip:port`` answers at ``host:host_port``."""
        with self._guard:
            self._by_target[(private_ip, int(port))] = (host, int(host_port))

    def withdraw(self, private_ip: str) -> None:
        """Forget every port of ``private_ip`` (its task stopped)."""
        with self._guard:
            for key in [key for key in self._by_target if key[0] == private_ip]:
                del self._by_target[key]

    def resolve(self, private_ip: str, port: int) -> tuple[str, int] | None:
        """The loopback address of ``private_ip:port``, or None when nothing is published."""
        with self._guard:
            return self._by_target.get((private_ip, int(port)))

    def clear(self) -> None:
        """Forget everything (the emulator was reset)."""
        with self._guard:
            self._by_target.clear()


#: The process-wide map (moto's state, the scheduler and the faults are process-wide too).
ADDRESSES = LoopbackAddresses()
