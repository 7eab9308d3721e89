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
- every child has the server's hash seed: what must not depend on an order that varies from
  run to run is tested over many orders instead (the resource tree:
  ``tests/localcloud/test_up_front_door.py``);
- the entry points themselves (``python -m``, console scripts, ``make up``) are run fresh by the
  tests about them.

Usage: ``PRELOADED.popen(["-m", "localcloud", "up", ...], cwd=..., env=...)`` gives a
``Popen``-like ``ForkedProcess``; ``PRELOADED.run(...)`` a ``subprocess.CompletedProcess``.
The server starts at its first use and ends with the process that made it: the test process's
own, or, under pytest-xdist, the session's, which the controller makes and stops
(``tests/conftest.py``). The controller also starts each worker through it: a worker's
"python" is ``python tests/preloaded.py --python -u -c ...``, a proxy (``become``) whose child
of the server runs the worker on the proxy's stdin, stdout and stderr, so each worker begins
with the project and its SDKs imported instead of importing them itself (the project's own
modules are then imported before pytest could rewrite their asserts; the tests' are rewritten).
"""

from __future__ import annotations

import atexit
import fcntl
import gc
import importlib
import io
import json
import os
import runpy
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
from pathlib import Path
from typing import IO, Any

PROJECT = Path(__file__).resolve().parents[1]

#: What the server imports: the CLIs and everything an ``up`` loads to deploy the stacks, and
#: what an xdist worker loads to collect and run the suite.
PRELOAD = (
    "localcloud.cli",
    "localcloud.cloud",
    "localcloud.deploy.mocks",
    "localcloud.summary",
    "reconciler.cli",
    "components",
    "rich.console",
    # the workers'
    "pytest",
    "localcloud.pytest_plugin",
    "localcloud.testing",
    "localcloud.dockerd",
    "localcloud.ecs.agent",
    "components.testing",
    "components.docs",
    "policies.check",
    "pygments.lexers.python",
)
#: The pulumi-aws modules the stacks use (pulumi-aws loads a module's classes on first use).
PULUMI_AWS_MODULES = (
    "appautoscaling", "cloudwatch", "ec2", "ecr", "ecs", "iam", "kms", "lb", "s3",
    "secretsmanager", "vpc", "wafv2",
)  # fmt: skip
#: The AWS services (botocore's names) the emulator's clients, the emulator (moto loads a
#: service's handlers on its first request) and the reconciler use.
AWS_SERVICES = (
    "ec2", "ecs", "elbv2", "iam", "logs", "sts", "ecr", "kms", "s3", "application-autoscaling",
    "cloudwatch",
)  # fmt: skip


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
    """The server process (started at first use, by whichever process asks first) and the
    requests to it, one connection each on the server's Unix socket in its directory.

    Without *directory* the server is this process's own: it starts in a new directory and
    ends with the process (or ``stop``). With the *directory* of a ``shared`` one (given to
    other processes in ``SHARED``), every process uses the one server there, which imports the
    directory maker's *preload* whoever starts it; the process that made the directory stops
    it, and the server ends by itself once that process is gone.
    """

    def __init__(self, preload: tuple[str, ...] = PRELOAD, directory: str | None = None) -> None:
        self._preload = preload
        self._directory = Path(directory) if directory else None
        self._owned = False
        self._process: subprocess.Popen | None = None
        self._lock = threading.Lock()

    @classmethod
    def shared(cls, preload: tuple[str, ...] = PRELOAD) -> PreloadedPython:
        """A server for other processes too (``PreloadedPython(directory=...)``), owned by
        this one: it starts at the first request of any of them and ends with this process."""
        server = cls(preload)
        server._directory = server._new_directory()
        return server

    @property
    def directory(self) -> Path | None:
        """Where the server's socket is (None until this process makes or asks for one)."""
        return self._directory

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
        """End the server (and any child still running) if this process owns it."""
        with self._lock:
            directory, self._directory = self._directory, None
            if directory is None or not self._owned:
                return
            if (directory / SOCKET).exists():
                try:
                    self._request(directory, {"stop": True})
                except OSError:  # it had ended
                    pass
            shutil.rmtree(directory, ignore_errors=True)

    def become(self, argv: list[str]) -> None:
        """Be ``python ARGV`` (``[-u] [-B] -c CODE args...``) by proxy: a child of the server
        runs it on this process's stdin, stdout and stderr, gets the signals this process gets
        and its exit is this process's (how the session's xdist workers start)."""
        flags, code = argv[: argv.index("-c")], argv[argv.index("-c") :]
        request = {"spawn": code, "cwd": os.getcwd(), "env": dict(os.environ)}
        passed_on = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}
        self._serving()  # started before the mask below, which a new server would inherit
        signal.pthread_sigmask(signal.SIG_BLOCK, passed_on)  # held until the child has a pid
        pid = self._ask({**request, "unbuffered": "-u" in flags}, fds=(0, 1, 2))["pid"]
        for signum in passed_on:
            signal.signal(signum, lambda received, _frame: os.kill(pid, received))
        signal.pthread_sigmask(signal.SIG_UNBLOCK, passed_on)
        while (returncode := self.exit_code(pid)) is None:
            time.sleep(0.05)
        if returncode < 0:  # ended by a signal: so does this process
            signal.signal(-returncode, signal.SIG_DFL)
            os.kill(os.getpid(), -returncode)
        raise SystemExit(returncode)

    def _ask(self, request: dict[str, Any], fds: tuple[int, ...] = ()) -> dict[str, Any]:
        answer = self._request(self._serving(), request, fds)
        if "error" in answer:
            raise RuntimeError(f"preloaded Python: {answer['error']}")
        return answer

    @staticmethod
    def _request(
        directory: Path, request: dict[str, Any], fds: tuple[int, ...] = ()
    ) -> dict[str, Any]:
        with socket.socket(socket.AF_UNIX) as connection:
            connection.connect(str(directory / SOCKET))
            message = json.dumps(request).encode() + b"\n"
            sent = socket.send_fds(connection, [message], list(fds)) if fds else 0
            if sent < len(message):  # (an empty send fails once the server has answered)
                connection.sendall(message[sent:])
            with connection.makefile(encoding="utf-8") as answer:
                return json.loads(answer.readline() or '{"error": "the server ended"}')

    def _new_directory(self) -> Path:
        directory = Path(tempfile.mkdtemp(prefix="preloaded-python-"))
        (directory / OWNER).write_text(str(os.getpid()))
        (directory / PRELOADS).write_text(json.dumps(self._preload))
        self._owned = True
        atexit.register(self.stop)
        return directory

    def _serving(self) -> Path:
        """The directory of a running server: started here unless another process did."""
        with self._lock:
            if self._directory is None:
                self._directory = self._new_directory()
            directory = self._directory
        if not (directory / SOCKET).exists():
            with open(directory / "lock", "w") as lock:  # one starter per directory
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not (directory / SOCKET).exists():
                    self._start(directory)
        return directory

    def _start(self, directory: Path) -> None:
        preload = json.loads((directory / PRELOADS).read_text())
        server = subprocess.Popen(
            [sys.executable, "-m", "tests.preloaded", str(directory), *preload],
            cwd=PROJECT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(PROJECT)},
            start_new_session=True,  # not in the process group of whoever started it
        )
        with server.stdout:
            ready = json.loads(server.stdout.readline() or '{"error": "did not start"}')
        if "error" in ready:
            raise RuntimeError(f"preloaded Python: {ready['error']}")
        self._process = server  # kept: a Popen dropped while its process runs warns


#: The environment variable with the directory of a session's shared server.
SHARED = "PRELOADED_PYTHON_DIRECTORY"
#: The files of a server's directory: its socket, the pid of the process that stops it, and
#: the modules the server imports (JSON).
SOCKET, OWNER, PRELOADS = "socket", "owner", "preload.json"
#: ``python tests/preloaded.py --python ARGV``: be ``python ARGV`` forked from the session's server.
PROXY_FLAG = "--python"
#: The test process's server: the session's, when its controller shares one.
PRELOADED = PreloadedPython(directory=os.environ.get(SHARED))


# -- the server --------------------------------------------------------------------------------


def _serve(directory: Path, preload: list[str]) -> None:
    """Import *preload*, say so, then answer spawn, poll and stop requests (a JSON object a
    line, one a connection) on the socket in *directory*, until a stop or until the directory's
    owner is gone; then kill the children still running."""
    signal.pthread_sigmask(signal.SIG_SETMASK, set())  # the starter's mask is not the children's
    before = dict(os.environ)
    for name in preload:
        importlib.import_module(name)
    _warm()
    # Defaults some modules put in the environment as they are imported (moto's settings): a
    # child's own environment gets them as its imports would have set them.
    set_on_import = {k: v for k, v in os.environ.items() if before.get(k) != v}
    owner = int((directory / OWNER).read_text())
    gc.freeze()  # children's collections skip the preloaded objects: their pages stay shared
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(directory / "socket.new"))
    listener.listen(64)
    listener.settimeout(1.0)
    os.rename(directory / "socket.new", directory / SOCKET)  # connectable once it is there
    print(json.dumps({"ready": os.getpid()}), flush=True)
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the starter reads no more
    children: set[int] = set()
    exited: dict[int, int] = {}  # the exit codes of the children reaped, for later polls
    while _alive(owner):
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        with connection:
            request, fds = _received(connection)
            if "spawn" in request:
                answer = _spawn(request, fds, set_on_import, children, listener, connection)
            elif "poll" in request:
                answer = _poll(request["poll"], children, exited)
            elif "stop" in request:
                answer = {"stopped": os.getpid()}
            else:
                answer = {"error": f"not a spawn, poll or stop request: {sorted(request)}"}
            for fd in fds:
                os.close(fd)
            connection.sendall(json.dumps(answer).encode() + b"\n")
        if "stop" in request:
            break
    (directory / SOCKET).unlink(missing_ok=True)
    for pid in children:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass


def _poll(pid: int, children: set[int], exited: dict[int, int]) -> dict[str, Any]:
    """The answer to a poll of child *pid*: its exit code, None while it runs."""
    if pid in children:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            children.discard(pid)
            exited[pid] = os.waitstatus_to_exitcode(status)
    if pid in exited:
        return {"returncode": exited[pid]}
    return {"returncode": None} if pid in children else {"error": f"no child {pid}"}


def _received(connection: socket.socket) -> tuple[dict[str, Any], list[int]]:
    """A request (one JSON line) and the file descriptors sent with it."""
    chunks: list[bytes] = []
    fds: list[int] = []
    while not chunks or not chunks[-1].endswith(b"\n"):
        chunk, more_fds, _flags, _address = socket.recv_fds(connection, 1 << 16, 3)
        if not chunk:
            break
        chunks.append(chunk)
        fds += more_fds
    return json.loads(b"".join(chunks) or b"{}"), fds


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _spawn(
    request: dict[str, Any],
    fds: list[int],
    set_on_import: dict[str, str],
    children: set[int],
    *inherited: socket.socket,
) -> dict[str, Any]:
    """Fork the child of a spawn request, on the three descriptors sent with it (stdin,
    stdout, stderr) or else on /dev/null and the request's stdout and stderr FIFOs; its pid
    (or why not)."""
    if threading.active_count() != 1:  # a fork copies no thread but the caller's
        return {"error": f"{threading.active_count()} threads; cannot fork"}
    if len(fds) == 3:
        streams = [os.dup(fd) for fd in fds]
    else:
        streams = [os.open(os.devnull, os.O_RDONLY)]
        streams += [os.open(request[name], os.O_WRONLY) for name in ("stdout", "stderr")]
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        for sock in inherited:  # the server's, not the child's
            os.close(sock.detach())
        for fd in fds:
            os.close(fd)
        _become(request, set_on_import, *streams)  # raises SystemExit: the child's end
    for fd in streams:
        os.close(fd)
    children.add(pid)
    return {"pid": pid}


def _warm() -> None:
    """Load what every ``up`` and test process loads on first use of the SDKs the preload
    imported: pulumi-aws's classes, moto's request handlers, botocore's models."""
    if "pulumi_aws" in sys.modules:
        for module in PULUMI_AWS_MODULES:  # any attribute but a module's name, spec... loads it
            getattr(importlib.import_module(f"pulumi_aws.{module}"), "__all__", None)
    for service in AWS_SERVICES:
        if "moto" in sys.modules:
            importlib.import_module(f"moto.{service.replace('-', '')}.urls")
        if "boto3" in sys.modules:
            sys.modules["boto3"].client(
                service,
                region_name="us-east-1",
                endpoint_url="http://127.0.0.1:9",
                aws_access_key_id="test",
                aws_secret_access_key="test",
            )


def _become(request: dict[str, Any], set_on_import: dict[str, str], *streams: int) -> None:
    """In the child: take the request's directory, environment and standard streams, run it,
    exit."""
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    for name, value in set_on_import.items():
        os.environ.setdefault(name, value)
    for target, fd in enumerate(streams):
        os.dup2(fd, target)
        os.close(fd)
    if request.get("unbuffered"):  # python -u
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
        sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    flag, target, *args = request["spawn"]
    code = 0
    try:
        if flag == "-m":
            sys.argv = [target, *args]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *args]
            main = sys.modules["__main__"] = types.ModuleType("__main__")
            exec(compile(target, "<string>", "exec"), main.__dict__)  # noqa: S102
    except SystemExit:
        raise
    except BaseException as exc:  # as the interpreter does with an uncaught exception
        traceback.print_exception(exc.with_traceback(exc.__traceback__.tb_next))  # not this frame
        code = 1
    raise SystemExit(code)


if __name__ == "__main__":
    if sys.argv[1] == PROXY_FLAG:  # an xdist worker's "python" (tests/conftest.py)
        PRELOADED.become(sys.argv[2:])
    else:
        _serve(Path(sys.argv[1]), sys.argv[2:])
