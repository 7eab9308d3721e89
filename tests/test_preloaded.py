"""``tests.preloaded``: a forked child behaves as ``python -m``/``-c`` in a new process would."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pytest

from tests.preloaded import PreloadedPython


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
