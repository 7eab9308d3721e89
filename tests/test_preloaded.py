"""``tests.preloaded``: a forked child behaves as ``python -m``/``-c`` in a new process would;
a server is shared through its directory and ends with its owner; a proxy is a Python."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests import preloaded
from tests.preloaded import PROXY_FLAG, SHARED, SOCKET, PreloadedPython


@pytest.fixture(scope="module")
def python():
    """A server that preloads only the standard library's json (cheap to start)."""
    server = PreloadedPython(preload=("json",))
    yield server
    server.stop()


def test_a_child_has_its_own_directory_environment_arguments_and_pid(python, tmp_path):
    code = (
        "import json, os, sys\n"
        "print(json.dumps([os.getcwd(), dict(os.environ), sys.argv[1:], os.getpid()]))"
    )
    run = python.run(["-c", code, "a", "b"], cwd=tmp_path, env={"ONLY": "this"})
    cwd, env, args, pid = json.loads(run.stdout)
    assert (run.returncode, cwd, env, args) == (0, str(tmp_path), {"ONLY": "this"}, ["a", "b"])
    assert pid != os.getpid()


def test_exit_codes_and_uncaught_exceptions_are_the_interpreters(python):
    assert python.run(["-c", "raise SystemExit(3)"]).returncode == 3
    failed = python.run(["-c", "print('before', flush=True)\nraise ValueError('boom')"])
    assert failed.returncode == 1
    assert failed.stdout == "before\n"
    assert failed.stderr.splitlines() == [
        "Traceback (most recent call last):",
        '  File "<string>", line 2, in <module>',
        "ValueError: boom",
    ]


def test_a_module_runs_as_main_and_a_signal_ends_the_child(python, tmp_path):
    run = python.run(["-m", "json.tool"], cwd=tmp_path)  # stdin is /dev/null: no input
    assert run.returncode == 1 and "Expecting value" in run.stderr
    sleeper = python.popen(["-c", "import time; print('up', flush=True); time.sleep(60)"])
    assert sleeper.stdout.readline() == "up\n"
    sleeper.send_signal(signal.SIGTERM)
    assert sleeper.wait(timeout=10) == -signal.SIGTERM
    with pytest.raises(subprocess.TimeoutExpired):
        python.run(["-c", "import time; time.sleep(60)"], timeout=0.5)


def test_the_streams_end_only_when_the_child_exits(python):
    child = python.popen(["-c", "import sys; sys.stderr.write('e'); print('o')"])
    assert child.communicate(timeout=10) == ("o\n", "e")
    assert child.returncode == 0


@pytest.fixture(scope="module")
def shared():
    """A server other processes use through its directory, owned by this test process."""
    server = PreloadedPython.shared(preload=("json",))
    yield server
    server.stop()


def proxy(
    directory: Path, *argv: str, extra_env: dict[str, str] | None = None, **popen: Any
) -> subprocess.Popen:
    """``python tests/preloaded.py --python ARGV`` in a new interpreter, using *directory*'s
    server (as an xdist worker's "python" does)."""
    env = {**os.environ, **(extra_env or {}), SHARED: str(directory)}
    return subprocess.Popen(
        [sys.executable, preloaded.__file__, PROXY_FLAG, *argv], env=env, text=True, **popen
    )


def test_processes_given_the_directory_share_its_one_server(shared):
    other = PreloadedPython(directory=str(shared.directory))
    parents = {
        int(server.run(["-c", "import os; print(os.getppid())"]).stdout)
        for server in (shared, other)
    }
    assert len(parents) == 1 and parents != {os.getpid()}
    with pytest.raises(RuntimeError, match=r"not a spawn, poll or stop request: \['kill'\]"):
        other._ask({"kill": 1})
    other.stop()  # not its server: it goes on serving
    assert shared.run(["-c", "print('still')"]).stdout == "still\n"


def test_a_proxy_is_python_on_its_own_stdin_stdout_and_stderr(shared, tmp_path):
    code = (
        "import os, sys\n"
        "line = sys.stdin.readline()\n"
        "print(line.upper(), os.getcwd(), os.environ['MARK'], sys.argv[1:], end='')\n"
        "sys.stderr.write('err')\n"
        "raise SystemExit(7)"
    )
    run = proxy(
        shared.directory, "-u", "-c", code, "x",
        cwd=tmp_path, extra_env={"MARK": "here"}, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )  # fmt: skip
    out, err = run.communicate("hello\n", timeout=30)
    assert (run.returncode, out, err) == (7, f"HELLO\n {tmp_path} here ['x']", "err")


def test_a_proxy_passes_on_its_signals_and_ends_as_its_child_does():
    """The proxy starts the server here (its first request): the server and its children do not
    inherit the signals the proxy holds while it asks."""
    fresh = PreloadedPython.shared(preload=("json",))
    try:
        sleeper = proxy(
            fresh.directory, "-u", "-c", "import os, time; print(os.getpid(), flush=True); "
            "time.sleep(60)", stdout=subprocess.PIPE,
        )  # fmt: skip
        child = int(sleeper.stdout.readline())
        assert child != sleeper.pid
        sleeper.send_signal(signal.SIGTERM)
        assert sleeper.wait(timeout=10) == -signal.SIGTERM
        assert fresh.exit_code(child) == -signal.SIGTERM  # the child got it
        with pytest.raises(RuntimeError, match=f"preloaded Python: no child {os.getpid()}"):
            fresh.exit_code(os.getpid())
        # The proxy's server imported what the directory's maker asked for, not the default.
        probe = "import sys; print('json' in sys.modules, 'moto' in sys.modules)"
        assert fresh.run(["-c", probe]).stdout == "True False\n"
    finally:
        fresh.stop()


def test_the_server_ends_when_the_process_that_owns_its_directory_is_gone(tmp_path):
    owner = subprocess.Popen(
        [sys.executable, "-c", f"""
import sys
sys.path.insert(0, {str(preloaded.PROJECT)!r})
from tests.preloaded import PreloadedPython
server = PreloadedPython.shared(preload=("json",))
server.run(["-c", "pass"])
print(server.directory, flush=True)
sys.stdin.readline()
import os
os._exit(0)  # no atexit: as if killed
"""], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    directory = Path(owner.stdout.readline().strip())
    assert (directory / SOCKET).exists()
    owner.communicate("\n", timeout=30)
    deadline = time.monotonic() + 10
    while (directory / SOCKET).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not (directory / SOCKET).exists()
    shutil.rmtree(directory)
