"""Run the project's Pulumi program (``__main__.py``) under Pulumi's mock runtime.

This is the seam the tests, the policy checker and the local cloud share: the program registers
its resources with a mock monitor that hands each registration to a ``pulumi.runtime.Mocks``
(which may answer with made-up values or make real AWS calls on an emulator) and records what was
registered, with its parent, options and outputs.
"""

from __future__ import annotations

import asyncio
import json
import runpy
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

import pulumi
import yaml
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import resource as pulumi_resource
from pulumi.runtime import settings as pulumi_settings
from pulumi.runtime.config import set_all_config
from pulumi.runtime.stack import run_pulumi_func

PROJECT_DIR = Path(__file__).resolve().parent.parent
PROJECT_NAME = "fargate-app"
STACK_FILE_PREFIX = "Pulumi."
STACK_FILE_SUFFIXES = (".yaml", ".yml")


class StackConfigError(ValueError):
    """A stack config file is missing, unreadable or not shaped like ``Pulumi.<stack>.yaml``."""


@dataclass(frozen=True)
class RegisteredResource:
    """One resource registration as the engine would see it.

    ``inputs`` and ``outputs`` use Pulumi property names (camelCase), as ``Mocks.new_resource``
    receives and returns them.
    """

    type_: str
    name: str
    urn: str
    id: str
    parent_urn: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    ignore_changes: tuple[str, ...] = ()
    dependencies: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    """URNs this resource had before, as its ``aliases`` option denotes them."""


@dataclass(frozen=True)
class Registration:
    """What the engine knows of a registration before the mocks answer it (for mocks that
    diff against a previous deployment: ``current_registration()``)."""

    urn: str
    parent_urn: str
    ignore_changes: tuple[str, ...]
    dependencies: tuple[str, ...]


_REGISTERING = threading.local()


def current_registration() -> Optional[Registration]:
    """The registration the running ``Mocks.new_resource`` call answers (None outside one).

    Pulumi registers resources from worker threads; each thread answers one at a time.
    """
    return getattr(_REGISTERING, "registration", None)


@dataclass
class ProgramResult:
    """What a program run registered, and the stack outputs it exported."""

    resources: list[RegisteredResource] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    component_outputs: dict[str, frozenset[str]] = field(default_factory=dict)
    """Names of the outputs each component registered (``register_outputs``), by URN."""

    def of_type(self, type_: str) -> list[RegisteredResource]:
        """The registered resources with type token ``type_``."""
        return [resource for resource in self.resources if resource.type_ == type_]

    def one(self, type_: str, name_suffix: str = "") -> RegisteredResource:
        """The single resource of ``type_`` whose logical name ends with ``name_suffix``."""
        matches = [r for r in self.of_type(type_) if r.name.endswith(name_suffix)]
        if len(matches) != 1:
            names = [r.name for r in self.of_type(type_)]
            raise LookupError(f"expected one {type_} ending {name_suffix!r}, found {names}")
        return matches[0]

    def children_of(self, parent: RegisteredResource) -> list[RegisteredResource]:
        """Resources registered with ``parent`` as their parent."""
        return [resource for resource in self.resources if resource.parent_urn == parent.urn]


@dataclass(frozen=True)
class StackConfig:
    """A parsed ``Pulumi.<stack>.yaml``: the stack name, its flat config map and, when a
    ``Pulumi.yaml`` is found above the file, the project's name and program."""

    stack: str
    config: dict[str, Any]
    project: Optional[str] = None
    program: Optional[Path] = None

    def engine_values(self) -> dict[str, str]:
        """Config as the engine hands it to a program: strings, with objects as JSON."""
        return {
            key: value if isinstance(value, str) else json.dumps(value)
            for key, value in self.config.items()
        }


def load_stack_config(path: Union[str, Path]) -> StackConfig:
    """Read ``stacks/Pulumi.<stack>.yaml``; raise ``StackConfigError`` with a one-line reason."""
    path = Path(path)
    name = path.name
    suffix = next((s for s in STACK_FILE_SUFFIXES if name.endswith(s)), None)
    if not name.startswith(STACK_FILE_PREFIX) or suffix is None:
        raise StackConfigError(f"{path}: expected a file named Pulumi.<stack>.yaml")
    try:
        document = _yaml(path.read_text()) or {}
    except OSError as error:
        raise StackConfigError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise StackConfigError(f"{path}: not valid YAML{where}") from None
    if not isinstance(document, dict) or not isinstance(document.get("config", {}), dict):
        raise StackConfigError(f"{path}: expected a mapping with a 'config' mapping")
    config = document.get("config") or {}
    for key, value in config.items():
        if not isinstance(key, str) or ":" not in key:
            raise StackConfigError(
                f"{path}: config key {key!r} must be namespaced, e.g. aws:region"
            )
        if isinstance(value, dict) and "secure" in value:
            raise StackConfigError(f"{path}: {key} is an encrypted secret; use a plain test value")
    project, program = _find_project(path)
    return StackConfig(
        stack=name[len(STACK_FILE_PREFIX) : -len(suffix)],
        config=config,
        project=project,
        program=program,
    )


def _yaml(text: str) -> Any:
    """``yaml.safe_load``, by libyaml when PyYAML has it (the same documents, ten times faster:
    a Pulumi.yaml with its config schema takes 20 ms in pure Python). A document libyaml
    refuses is parsed again in pure Python, whose error marks the messages quote."""
    try:
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError:
        return yaml.safe_load(text)


def _find_project(stack_file: Path) -> tuple[Optional[str], Optional[Path]]:
    """The name and program of the nearest ``Pulumi.yaml`` above ``stack_file``, as Pulumi
    resolves them (``main`` may name a directory or a file; the default is ``__main__.py``)."""
    for directory in stack_file.resolve().parents:
        project_file = directory / "Pulumi.yaml"
        if not project_file.is_file():
            continue
        try:
            project = _yaml(project_file.read_text()) or {}
        except (OSError, yaml.YAMLError):
            raise StackConfigError(f"{project_file}: not a readable Pulumi project file") from None
        main = directory / str(project.get("main") or ".")
        program = main / "__main__.py" if main.is_dir() else main
        return project.get("name"), program
    return None, None


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    """A mock monitor that also records each registration's parent, options and outputs.

    Aliases arrive as alias specs (the mock monitor reports the ``aliasSpecs`` feature) or, from
    older SDKs, as URNs; both are recorded as the URNs they denote, built the way this monitor
    builds URNs (``MockMonitor.make_urn``: parent's own type, then the resource's).
    """

    def __init__(
        self,
        mocks: pulumi.runtime.Mocks,
        sink: list[RegisteredResource],
        outputs_sink: dict[str, frozenset[str]],
    ) -> None:
        super().__init__(mocks)
        self.sink = sink
        self.outputs_sink = outputs_sink

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        # Names only: deserializing resource references here would resolve them on the wrong loop.
        self.outputs_sink[request.urn] = frozenset(request.outputs.keys())
        return super().RegisterResourceOutputs(request)

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        _REGISTERING.registration = Registration(
            urn=self.make_urn(request.parent, request.type, request.name),
            parent_urn=request.parent,
            ignore_changes=tuple(request.ignoreChanges),
            dependencies=tuple(request.dependencies),
        )
        try:
            response = super().RegisterResource(request)
        finally:
            _REGISTERING.registration = None
        if request.type != "pulumi:pulumi:Stack":
            registration = self.resources.get(response.urn)
            self.sink.append(
                RegisteredResource(
                    type_=request.type,
                    name=request.name,
                    urn=response.urn,
                    id=registration.id if registration else "",
                    parent_urn=request.parent,
                    custom=bool(request.custom),
                    inputs=pulumi.runtime.rpc.deserialize_properties(request.object),
                    outputs=dict(registration.state) if registration else {},
                    ignore_changes=tuple(request.ignoreChanges),
                    dependencies=tuple(request.dependencies),
                    aliases=self._alias_urns(request),
                )
            )
        return response

    def _alias_urns(self, request: Any) -> tuple[str, ...]:
        urns = list(request.aliasURNs)
        for alias in request.aliases:
            if alias.WhichOneof("alias") == "urn":
                urns.append(alias.urn)
                continue
            spec = alias.spec
            parent = "" if spec.noParent else (spec.parentUrn or request.parent)
            urns.append(
                _urn(
                    spec.stack or pulumi.get_stack(),
                    spec.project or pulumi.get_project(),
                    parent,
                    spec.type or request.type,
                    spec.name or request.name,
                )
            )
        return tuple(dict.fromkeys(urns))


def _urn(stack: str, project: str, parent_urn: str, type_: str, name: str) -> str:
    """The URN ``MockMonitor.make_urn`` gives, for any stack and project."""
    if parent_urn:
        type_ = f"{parent_urn.split('::')[2].split('$')[-1]}${type_}"
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def run_program(
    stack_config: Union[str, Path, StackConfig, None],
    mocks: pulumi.runtime.Mocks,
    *,
    program: Union[Path, Callable[[], Any], None] = None,
    project: Optional[str] = None,
    stack: Optional[str] = None,
    config: Optional[dict[str, Any]] = None,
    preview: bool = False,
) -> ProgramResult:
    """Run ``program`` (a path or a callable) under the mock runtime.

    ``stack_config`` is a ``Pulumi.<stack>.yaml`` path (or parsed ``StackConfig``); ``config``
    adds or overrides keys. ``program`` and ``project`` default to those of the ``Pulumi.yaml``
    above the stack file (this project's otherwise). Each run gets a fresh event loop and runtime
    state, so runs are independent. Exceptions from the program propagate unchanged.
    """
    parsed = (
        stack_config
        if isinstance(stack_config, StackConfig) or stack_config is None
        else load_stack_config(stack_config)
    )
    values = parsed.engine_values() if parsed else {}
    values.update(StackConfig("", dict(config or {})).engine_values())
    stack_name = stack or (parsed.stack if parsed else "test")
    project = project or (parsed.project if parsed else None) or PROJECT_NAME
    main = program or (parsed.program if parsed else None) or PROJECT_DIR / "__main__.py"

    resources: list[RegisteredResource] = []
    component_outputs: dict[str, frozenset[str]] = {}
    with _own_event_loop() as loop:
        try:
            pulumi_settings.reset_options(project=project, stack=stack_name, preview=preview)
            set_all_config(values)
            pulumi_settings.SETTINGS.rpc_manager.clear()
            pulumi_settings.SETTINGS.outputs.clear()
            pulumi.runtime.set_mocks(
                mocks,
                project=project,
                stack=stack_name,
                preview=preview,
                monitor=_RecordingMonitor(mocks, resources, component_outputs),
            )
            body = main if callable(main) else lambda: _run_file(Path(main))
            with _without_source_positions():
                try:
                    loop.run_until_complete(run_pulumi_func(body))
                except Exception:  # not on Ctrl-C: that should stop at once
                    _settle_a_failed_run(loop)
                    raise
            root = pulumi_settings.get_root_resource()
            exported = dict(getattr(root, "outputs", {}) or {})
            outputs = {key: _resolve(loop, value) for key, value in exported.items()}
        finally:
            pulumi_settings.ROOT.set(None)
    return ProgramResult(resources=resources, outputs=outputs, component_outputs=component_outputs)


def _settle_a_failed_run(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel the registrations a failed run left waiting and silence the copies of its error
    that the SDK's futures still hold: the error itself propagates, and without this asyncio
    logs each copy ("exception was never retrieved") whenever they are collected."""
    leftovers = asyncio.all_tasks(loop)
    for task in leftovers:
        task.cancel()
    loop.set_exception_handler(_drop_unretrieved)
    loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))


def _drop_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    if not context.get("message", "").endswith("exception was never retrieved"):
        loop.default_exception_handler(context)


@contextmanager
def _without_source_positions() -> Iterator[None]:
    """Skip the SDK's stack walk at each registration (a fifth of a mock run's time): it only
    finds the source position the engine shows, and no engine reads it here."""
    walk = getattr(pulumi_resource, "_get_stack_trace", None)
    if walk is None:  # another SDK layout: positions are computed as usual
        yield
        return
    pulumi_resource._get_stack_trace = pulumi_resource.source_pb2.StackTrace
    try:
        yield
    finally:
        pulumi_resource._get_stack_trace = walk


def _run_file(program: Path) -> None:
    """Run a program file as ``__main__`` with its directory importable, as Pulumi does."""
    directory = str(program.resolve().parent)
    sys.path.insert(0, directory)
    try:
        runpy.run_path(str(program), run_name="__main__")
    finally:
        sys.path.remove(directory)


@contextmanager
def _own_event_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """A new event loop, this thread's for the block, whose executor gives each of its threads
    an event loop of its own; after the block the executor's threads end (their calls in
    flight finish), every one of those loops is closed, and the thread's previous loop (if
    any) is its loop again. The mock monitor waits on futures in the executor's threads, and
    the SDK makes a thread a loop there if it has none, which no one closed: each run left a
    few open (``ResourceWarning``; "Exception ignored in BaseEventLoop.__del__" at exit)."""
    previous = _current_loop()
    thread_loops: list[asyncio.AbstractEventLoop] = []

    def give_the_thread_a_loop() -> None:
        thread_loops.append(asyncio.new_event_loop())
        asyncio.set_event_loop(thread_loops[-1])

    loop = asyncio.new_event_loop()
    loop.set_default_executor(ThreadPoolExecutor(initializer=give_the_thread_a_loop))
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        try:
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()
            for thread_loop in thread_loops:
                thread_loop.close()
            asyncio.set_event_loop(previous)


def _current_loop() -> Optional[asyncio.AbstractEventLoop]:
    """The event loop set for this thread, if any. Not the policy's ``get_event_loop()``: in
    the main thread that makes one when none is set, which no one would close."""
    local = getattr(asyncio.get_event_loop_policy(), "_local", None)
    if local is not None and hasattr(local, "_loop"):
        return local._loop
    try:  # another policy: ask it
        return asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        return None


def _resolve(loop: asyncio.AbstractEventLoop, value: Any) -> Any:
    return loop.run_until_complete(pulumi.Output.from_input(value).future())
