"""CLI processes forked from a Python that has already imported the project (test support).

A ``python -m localcloud up`` spends 3 to 8 s of CPU importing moto, Pulumi and the generated
pulumi-aws types before it does anything, and the tests that run the CLIs as processes (exit
codes, stdout and stderr, signals, the files and ports a process leaves) start many of them.
They start them here instead: a server process imports those modules once, then forks one child
per command. The child is a real process: it changes to its own working directory, takes its own
environment, has its stdout and stderr on pipes, runs the module or code as ``python -m`` or
``python -c`` would (``SystemExit`` codes, an uncaught exception's traceback and exit status 1,
the interpreter's normal shutdown), and can be signalled by its pid.

What differs from a fresh interpreter, and where that is tested instead:

- the modules are imported before ``main`` runs: the CLIs' lazy imports are checked in fresh
  interpreters (``tests/test_cli_conventions.py``);
- every child has the server's hash seed: a test comparing the output order of two processes
  starts one of them fresh (``tests/localcloud/test_up_front_door.py``);
- the entry points themselves (``python -m``, console scripts, ``make up``) are run fresh by the
  tests about them.

Usage: ``PRELOADED.popen(["-m", "localcloud", "up", ...], cwd=..., env=...)`` gives a
``Popen``-like ``ForkedProcess``; ``PRELOADED.run(...)`` a ``subprocess.CompletedProcess``.
The server of a test process starts at its first use and ends with that process.
"""

from __future__ import annotations

import atexit
import gc
import importlib
import json
import os
import runpy
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path
from typing import IO, Any

PROJECT = Path(__file__).resolve().parents[1]

#: What the server imports: the CLIs and everything an ``up`` loads to deploy the stacks.
PRELOAD = (
    "localcloud.cli",
    "localcloud.cloud",
    "localcloud.deploy.mocks",
    "localcloud.summary",
    "reconciler.cli",
    "components",
    "rich.console",
)
#: The pulumi-aws modules the stacks use (pulumi-aws loads a module's classes on first use).
PULUMI_AWS_MODULES = ("appautoscaling", "cloudwatch", "ec2", "ecr", "ecs", "iam", "kms", "lb", "s3")
#: botocore models the emulator's clients and the reconciler load.
BOTOCORE_SERVICES = ("ec2", "ecs", "elbv2", "iam", "logs", "sts", "ecr", "kms", "s3")


class ForkedProcess:
    """A child of the preloaded server, with the part of ``subprocess.Popen``'s interface the
    tests use: ``pid``, ``stdout``, ``stderr`` (text), ``poll``, ``wait``, ``communicate``,
    ``send_signal``, ``kill`` and ``returncode``."""

    def __init__(self, server: PreloadedPython, pid: int, stdout: IO[str], stderr: IO[str]):
        self._server = server
        self.pid = pid
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None

    def poll(self) -> int | None:
        """The exit code (negative: the signal that ended it), or None while it runs."""
        if self.returncode is None:
            self.returncode = self._server.exit_code(self.pid)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the exit code; ``subprocess.TimeoutExpired`` after *timeout* seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
            time.sleep(0.02)
        return self.returncode  # type: ignore[return-value]

    def communicate(self, timeout: float | None = None) -> tuple[str, str]:
        """Read stdout and stderr to their ends, then wait; both texts."""
        texts: dict[str, str] = {}
        readers = [
            threading.Thread(target=lambda n=name, s=stream: texts.__setitem__(n, s.read()))
            for name, stream in (("out", self.stdout), ("err", self.stderr))
        ]
        for reader in readers:
            reader.daemon = True
            reader.start()
        for reader in readers:
            reader.join(timeout)
            if reader.is_alive():
                raise subprocess.TimeoutExpired(f"pid {self.pid}", timeout or 0)
        self.wait(timeout)
        self.stdout.close()
        self.stderr.close()
        return texts["out"], texts["err"]

    def send_signal(self, signum: int) -> None:
        """Send *signum* to the child (nothing once it has exited)."""
        if self.poll() is None:
            os.kill(self.pid, signum)

    def kill(self) -> None:
        """SIGKILL the child."""
        self.send_signal(signal.SIGKILL)


class PreloadedPython:
    """The server process (started at first use) and the requests to it."""

    def __init__(self, preload: tuple[str, ...] = PRELOAD) -> None:
        self._preload = preload
        self._server: subprocess.Popen | None = None
        self._lock = threading.Lock()

    def popen(
        self, argv: list[str], *, cwd: str | Path = PROJECT, env: dict[str, str] | None = None
    ) -> ForkedProcess:
        """Start ``python ARGV`` (``-m module args...`` or ``-c code args...``) as a child."""
        if len(argv) < 2 or argv[0] not in ("-m", "-c"):
            raise ValueError(f"argv must start with -m MODULE or -c CODE, not {argv[:2]}")
        pipes = Path(tempfile.mkdtemp(prefix="preloaded-"))
        readers = {}
        for name in ("stdout", "stderr"):
            os.mkfifo(pipes / name)
            # Open the reading ends first, without waiting for a writer; the server opens the
            # writing ends before it forks, so a reader sees EOF only once the child is done.
            readers[name] = os.open(pipes / name, os.O_RDONLY | os.O_NONBLOCK)
        pid = self._ask(
            {
                "spawn": argv,
                "cwd": str(cwd),
                "env": dict(os.environ if env is None else env),
                "stdout": str(pipes / "stdout"),
                "stderr": str(pipes / "stderr"),
            }
        )["pid"]
        streams = {}
        for name, fd in readers.items():
            os.set_blocking(fd, True)
            streams[name] = open(fd, encoding="utf-8", errors="replace")  # noqa: SIM115
            os.unlink(pipes / name)
        pipes.rmdir()
        return ForkedProcess(self, pid, streams["stdout"], streams["stderr"])

    def run(
        self,
        argv: list[str],
        *,
        cwd: str | Path = PROJECT,
        env: dict[str, str] | None = None,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess:
        """Run ``python ARGV`` to the end, as ``subprocess.run(capture_output=True, text=True)``."""
        child = self.popen(argv, cwd=cwd, env=env)
        try:
            out, err = child.communicate(timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait(10)
            raise
        return subprocess.CompletedProcess(["python", *argv], child.returncode, out, err)

    def exit_code(self, pid: int) -> int | None:
        """The exit code of child *pid*, or None while it runs."""
        return self._ask({"poll": pid})["returncode"]

    def stop(self) -> None:
        """End the server (and any child still running)."""
        with self._lock:
            if self._server is not None:
                self._server.stdin.close()
                self._server.wait(timeout=30)
                self._server = None

    def _ask(self, request: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            server = self._started()
            server.stdin.write(json.dumps(request) + "\n")
            server.stdin.flush()
            answer = json.loads(server.stdout.readline() or '{"error": "the server ended"}')
        if "error" in answer:
            raise RuntimeError(f"preloaded Python: {answer['error']}")
        return answer

    def _started(self) -> subprocess.Popen:
        if self._server is None:
            self._server = subprocess.Popen(
                [sys.executable, "-m", "tests.preloaded", *self._preload],
                cwd=PROJECT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                env={**os.environ, "PYTHONPATH": str(PROJECT)},
            )
            ready = json.loads(self._server.stdout.readline() or '{"error": "did not start"}')
            if "error" in ready:
                raise RuntimeError(f"preloaded Python: {ready['error']}")
            atexit.register(self.stop)
        return self._server


#: The test process's server.
PRELOADED = PreloadedPython()


# -- the server --------------------------------------------------------------------------------


def _serve(preload: list[str]) -> None:
    """Import *preload*, say so, then answer spawn and poll requests (a JSON object a line) on
    stdin until it closes; then kill the children still running."""
    before = dict(os.environ)
    for name in preload:
        importlib.import_module(name)
    _warm()
    # Defaults some modules put in the environment as they are imported (moto's settings): a
    # child's own environment gets them as its imports would have set them.
    set_on_import = {k: v for k, v in os.environ.items() if before.get(k) != v}
    gc.freeze()  # children's collections skip the preloaded objects: their pages stay shared
    control_in, control_out = sys.stdin, sys.stdout
    control_out.write(json.dumps({"ready": os.getpid()}) + "\n")
    control_out.flush()
    children: set[int] = set()
    for line in control_in:
        request = json.loads(line)
        if "spawn" in request:
            if threading.active_count() != 1:  # a fork copies no thread but the caller's
                _answer({"error": f"{threading.active_count()} threads; cannot fork"})
                continue
            writers = [os.open(request[name], os.O_WRONLY) for name in ("stdout", "stderr")]
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                _become(request, set_on_import, *writers)  # raises SystemExit: the child's end
            for fd in writers:
                os.close(fd)
            children.add(pid)
            _answer({"pid": pid})
        else:
            pid = request["poll"]
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                children.discard(pid)
            _answer({"returncode": os.waitstatus_to_exitcode(status) if done else None})
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _warm() -> None:
    """Load what every ``up`` loads on first use: pulumi-aws's classes, botocore's models."""
    import boto3

    for module in PULUMI_AWS_MODULES:  # any attribute but a module's name, spec etc. loads it
        getattr(importlib.import_module(f"pulumi_aws.{module}"), "__all__", None)
    for service in BOTOCORE_SERVICES:
        boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url="http://127.0.0.1:9",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


def _answer(answer: dict[str, Any]) -> None:
    sys.__stdout__.write(json.dumps(answer) + "\n")
    sys.__stdout__.flush()


def _become(
    request: dict[str, Any], set_on_import: dict[str, str], stdout_fd: int, stderr_fd: int
) -> None:
    """In the child: take the request's directory, environment and pipes, run it, exit."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for name, value in set_on_import.items():
        os.environ.setdefault(name, value)
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    os.close(stdout_fd)
    os.close(stderr_fd)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    flag, target, *args = request["spawn"]
    code = 0
    try:
        if flag == "-m":
            sys.argv = [target, *args]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *args]
            exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102
    except SystemExit:
        raise
    except BaseException as exc:  # as the interpreter does with an uncaught exception
        traceback.print_exception(exc.with_traceback(exc.__traceback__.tb_next))  # not this frame
        code = 1
    raise SystemExit(code)


if __name__ == "__main__":
    _serve(sys.argv[1:])
