"""pytest fixtures that give every test a local AWS cloud ("LocalStack test runs").

Installed with the project (pytest11 entry point ``localcloud``), so any test can use:

- ``local_cloud``: the session's cloud, reset before each test (all AWS state, the scheduler's
  bookkeeping and the faults). It has ``endpoint_url``, ``region``, ``client(name)``,
  ``scheduler`` and ``faults``.
- ``aws_client``: factory of boto3 clients bound to it: ``aws_client("ecs")``.
- ``ecs_scheduler``: the simulated ECS scheduler (``tick()`` for one deterministic step).
- ``faults``: fault injection (``crash_loop``, ``capacity_shortage``, ``out_of_band_scale``,
  ``unhealthy_targets``, ``throttle``, ``clear``); cleared after the test.
- ``deployed_stack``: factory deploying a stack config into the cloud (emulated
  ``pulumi up``) and returning its outputs: ``deployed_stack("stacks/Pulumi.localstack.yaml")``;
  the result (``DeployedStack``, a dict) can be ``update(**config)``-d and ``destroy()``-ed.
- ``shared_stack``: the same factory for tests that only read the stack: consecutive tests
  asking for the same stack share one deploy (see ``shared_stack``).

Backend switch: when ``LOCALSTACK_ENDPOINT`` (or ``AWS_ENDPOINT_URL``) is set, the tests run
against that endpoint through localstack-client, and fail loudly when it does not answer;
when unset, an embedded emulator starts on a free port (never 4566). The scheduler and faults
exist only with this project's emulator (embedded, or ``python -m localcloud serve``); against
LocalStack the tests that need them are skipped.

Task runtime: the ini option ``localcloud_runtime`` (``simulated``, the default: hermetic;
``docker``; ``auto``) is the session's; a test or module opts in to another by overriding the
``localcloud_runtime`` fixture (``return "docker"``), and ``local_cloud`` then runs its tasks
as real containers. At the end of the session, containers of this process's local clouds still
present are removed and fail the session (``pytest_sessionfinish``).

ini options: ``localcloud_task_start_delay`` (seconds a task stays PENDING, default 0.2),
``localcloud_tick_interval`` (scheduler period, default 0.1) and ``localcloud_runtime``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from localcloud.errors import LocalCloudError
from localcloud.remote import RemoteCloud, configured_endpoint

_DOCKER_STATUS: pytest.StashKey[Any] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ini options of the local cloud."""
    parser.addini(
        "localcloud_task_start_delay",
        "seconds a simulated ECS task stays PENDING before RUNNING",
        default="0.2",
    )
    parser.addini(
        "localcloud_tick_interval", "period of the simulated ECS scheduler, seconds", default="0.1"
    )
    parser.addini(
        "localcloud_runtime",
        "what runs the tasks' containers: simulated, docker or auto",
        default="simulated",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Declare the markers of tests that need the scheduler and faults, or a Docker Engine."""
    config.addinivalue_line(
        "markers", "localcloud_faults: needs the local cloud's scheduler and fault injection"
    )
    config.addinivalue_line(
        "markers", "docker: needs a Docker Engine (skipped, saying why, when none answers)"
    )


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Skip ``docker``-marked tests when no Docker Engine answers (asked once per session)."""
    if item.get_closest_marker("docker") is None:
        return
    status = item.config.stash.get(_DOCKER_STATUS, None)
    if status is None:
        from localcloud.dockerd import daemon_status

        status = item.config.stash[_DOCKER_STATUS] = daemon_status()
    if not status.available:
        pytest.skip(f"needs a Docker Engine: {status.reason}")


@pytest.fixture(scope="session")
def _local_cloud_session(pytestconfig: pytest.Config) -> Iterator[Any]:
    configured = configured_endpoint()
    if configured is not None:
        variable, endpoint = configured
        try:
            cloud = RemoteCloud(endpoint)
        except LocalCloudError as exc:
            pytest.fail(f"{variable}={endpoint}: {exc}", pytrace=False)
        yield cloud
        return
    from localcloud.cloud import LocalCloud

    cloud = LocalCloud(
        port=0,
        task_start_delay=float(pytestconfig.getini("localcloud_task_start_delay")),
        tick_interval=float(pytestconfig.getini("localcloud_tick_interval")),
    )  # the runtime is each test's: ``local_cloud`` switches to ``localcloud_runtime``
    cloud.start()
    try:
        yield cloud
    finally:
        cloud.stop()


@pytest.fixture
def localcloud_runtime(pytestconfig: pytest.Config) -> str:
    """The task runtime of ``local_cloud`` (ini ``localcloud_runtime``); override to opt in."""
    return str(pytestconfig.getini("localcloud_runtime"))


@pytest.fixture
def local_cloud(
    request: pytest.FixtureRequest, _local_cloud_session: Any, localcloud_runtime: str
) -> Any:
    """The session's local cloud, reset for this test, running *localcloud_runtime* with the
    session's task start delay. A test that uses ``shared_stack`` gets it as the previous
    test left it when that test's shared stack is still deployed (``shared_stack`` resets when
    it deploys)."""
    cloud = _local_cloud_session
    if isinstance(cloud, RemoteCloud):
        if localcloud_runtime == "docker":
            pytest.skip("the docker runtime needs the embedded local cloud, not an endpoint")
        cloud.reset()
        return cloud
    from localcloud.ecs.runtime import choose_runtime

    try:
        wanted = choose_runtime(localcloud_runtime).name
    except (LocalCloudError, ValueError) as exc:
        pytest.fail(f"localcloud_runtime={localcloud_runtime}: {exc}", pytrace=False)
    # The scheduler is process-wide: a LocalCloud a test started may have changed its runtime
    # and delays; each test gets the session's own.
    cloud.scheduler.task_start_delay = cloud.task_start_delay
    if cloud.scheduler.runtime.name != wanted:
        cloud.use_runtime(wanted)
    elif "shared_stack" not in request.fixturenames or _SHARED.current() is None:
        cloud.reset()
    return cloud


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session if this process's local clouds left containers (and remove them)."""
    import sys

    if "localcloud.ecs.agent" not in sys.modules:
        return  # no Docker agent ever ran in this process
    import docker

    from localcloud.ecs.agent import containers_of_this_process

    try:
        client = docker.from_env()
    except docker.errors.DockerException:
        return  # no daemon answers: no container can be left
    try:
        left = containers_of_this_process(client)
        for container in left:
            container.remove(force=True)
    finally:
        client.close()
    if left:
        names = ", ".join(c.name for c in left)
        session.config.get_terminal_writer().line(
            f"localcloud: {len(left)} container(s) left after the session, removed: {names}",
            red=True,
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def aws_client(local_cloud: Any) -> Callable[..., Any]:
    """Factory of boto3 clients bound to the local cloud: ``aws_client("ecs")``. Within a test
    the same arguments give the same client (making one costs 5 to 30 ms; tests poll)."""
    made: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}

    def client(service_name: str, **kwargs: Any) -> Any:
        try:
            key = (service_name, tuple(sorted(kwargs.items())))
            hash(key)
        except TypeError:  # e.g. a botocore Config: a new client each time
            return local_cloud.client(service_name, **kwargs)
        if key not in made:
            made[key] = local_cloud.client(service_name, **kwargs)
        return made[key]

    return client


@pytest.fixture
def ecs_scheduler(local_cloud: Any) -> Any:
    """The simulated ECS scheduler (skips the test against a LocalStack)."""
    if local_cloud.scheduler is None:
        pytest.skip("the simulated ECS scheduler needs the local cloud emulator, not LocalStack")
    return local_cloud.scheduler


@pytest.fixture
def faults(local_cloud: Any) -> Iterator[Any]:
    """Fault injection of the local cloud, cleared after the test (skips against LocalStack)."""
    if local_cloud.faults is None:
        pytest.skip("fault injection needs the local cloud emulator, not LocalStack")
    yield local_cloud.faults
    local_cloud.faults.clear()
    _SHARED.forget()  # faults change what they act on


@pytest.fixture
def deployed_stack(local_cloud: Any, tmp_path: Path) -> Callable[..., DeployedStack]:
    """Factory: ``deployed_stack(stack_config, **config_overrides)`` deploys and returns the
    stack (``DeployedStack``: the outputs dict, which can be updated and destroyed).

    *config_overrides* are extra stack config keys, e.g.
    ``deployed_stack("stacks/Pulumi.localstack.yaml", **{"fargate-app:desiredCount": 3})``;
    a key without a namespace is the project's (``desiredCount=3``). The state of the test's
    deploys is kept in its ``tmp_path``.
    """

    def deploy_stack(stack_config: str | Path, **config: Any) -> DeployedStack:
        return DeployedStack(local_cloud, stack_config, tmp_path / "state.json").update(**config)

    return deploy_stack


@dataclass
class _SharedDeploy:
    """The stack ``shared_stack`` deployed last in this process, its arguments (``key``) and the
    state generation (``localcloud.cloud.state_generation``) it was deployed in."""

    key: str = ""
    stack: DeployedStack | None = None
    generation: int = -1

    def current(self) -> DeployedStack | None:
        """The stack, while no reset or other emulator came after its deploy."""
        from localcloud.cloud import state_generation

        return self.stack if self.generation == state_generation() else None

    def remember(self, key: str, stack: DeployedStack) -> None:
        """*stack* was just deployed for *key*."""
        from localcloud.cloud import state_generation

        self.key, self.stack, self.generation = key, stack, state_generation()

    def forget(self) -> None:
        """The stack may have changed: no later test shares it."""
        self.stack = None


_SHARED = _SharedDeploy()


@pytest.fixture
def shared_stack(
    local_cloud: Any, tmp_path_factory: pytest.TempPathFactory
) -> Callable[..., DeployedStack]:
    """Factory for tests that only read a deployed stack:
    ``shared_stack(stack_config, prepare=None, **config_overrides)``.

    Like ``deployed_stack``, but while the tests run one after another on this worker with the
    same arguments and no other test resets the cloud in between, they share one deploy (and
    the same ``DeployedStack``). *prepare(cloud)* runs before that deploy and returns more
    config overrides (e.g. from a certificate it requests). A test using it must not change
    the cloud: no faults, updates or writes (use ``deployed_stack`` for those). Only the
    embedded local cloud shares; against an endpoint each test deploys.
    """
    import json

    def deploy_stack(
        stack_config: str | Path,
        prepare: Callable[[Any], dict[str, Any]] | None = None,
        **config: Any,
    ) -> DeployedStack:
        def deploy_now() -> DeployedStack:
            extra = prepare(local_cloud) if prepare else {}
            state = tmp_path_factory.mktemp("shared-stack") / "state.json"
            return DeployedStack(local_cloud, stack_config, state).update(**extra, **config)

        if isinstance(local_cloud, RemoteCloud):
            return deploy_now()
        key = json.dumps(
            [str(stack_config), getattr(prepare, "__qualname__", None), config], sort_keys=True
        )
        shared = _SHARED.current()
        if shared is not None and _SHARED.key == key:
            return shared
        if shared is not None:  # another shared stack: start from an empty cloud
            local_cloud.reset()
        stack = deploy_now()
        _SHARED.remember(key, stack)
        return stack

    return deploy_stack


class DeployedStack(dict):
    """The outputs of a stack deployed by ``deployed_stack`` (a dict, as
    ``pulumi stack output --json`` prints them), with the lifecycle of the stack:

    - ``update(**config)``: deploy again with more (or changed) config overrides; the outputs
      are the new ones. ``preview(**config)``: the plan of that update, nothing changed.
    - ``destroy()``: delete every resource of the stack; the outputs are emptied.
    - ``result``: the last ``DeployResult`` (its ``plan`` and ``api_calls``).
    """

    def __init__(self, cloud: Any, stack_config: str | Path, state_path: Path) -> None:
        super().__init__()
        self.cloud = cloud
        self.stack_config = stack_config
        self.state_path = state_path
        self.config: dict[str, Any] = {}
        self.result: Any = None

    def update(self, **config: Any) -> DeployedStack:  # type: ignore[override]
        """Deploy with *config* added to the overrides so far (a None value removes the
        override: the stack config's value, or none, applies again); returns this stack."""
        from localcloud.deploy import deploy

        self.config = _merged(self.config, config)
        self.result = deploy(
            self.cloud, self.stack_config, config=self.config, state_path=self.state_path
        )
        self.clear()
        super().update(self.result.outputs)
        return self

    def preview(self, **config: Any) -> Any:
        """The plan (``localcloud.deploy.plan.Plan``) of ``update(**config)``; nothing changes."""
        from localcloud.deploy import deploy

        return deploy(
            self.cloud,
            self.stack_config,
            config=_merged(self.config, config),
            state_path=self.state_path,
            preview=True,
        ).plan

    def destroy(self) -> None:
        """Delete every resource of the stack (emulated ``pulumi destroy``)."""
        from localcloud.deploy import destroy

        self.result = destroy(self.cloud, state_path=self.state_path)
        self.clear()


def _merged(config: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """*config* with *changes* (keys without a namespace are the project's; None removes)."""
    from components.program import PROJECT_NAME

    merged = dict(config)
    for key, value in changes.items():
        full_key = key if ":" in key else f"{PROJECT_NAME}:{key}"
        if value is None:
            merged.pop(full_key, None)
        else:
            merged[full_key] = value
    return merged
