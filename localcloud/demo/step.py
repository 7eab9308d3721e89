"""``localcloud up``'s "prepare the image" step: the demo image in the stack's own repository.

When tasks run as Docker containers and the stack's image is its own ECR repository (no
``fargate-app:image``), the demo image is built before the deploy and pushed, tagged with the
stack's ``imageTag``, the moment the deploy creates the repository: the task definition and
the service depend on the repository, so no task can pull before the push finished. Otherwise
the step says in one line why no demo image is pushed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from localcloud.demo import image as demo_image
from localcloud.errors import LocalCloudError

REPOSITORY_TYPE = "aws:ecr/repository:Repository"
#: What ``up`` prints when tasks are simulated: how to get real containers.
REAL_CONTAINERS_HINT = (
    "tasks are simulated ({reason}); with a Docker Engine running, `make up` runs them as "
    "containers serving a demo page"
)


def demo_plan(stack_config: Path, overrides: dict[str, Any]) -> tuple[str | None, str]:
    """The tag to push the demo image as, or None and why the stack does not want it."""
    from components.config import NAMESPACE, camel_case
    from components.program import load_stack_config
    from components.settings import AppSettings, ServiceSettings, field_default

    config = {**load_stack_config(stack_config).config, **overrides}

    def value(field: str) -> Any:
        return config.get(f"{NAMESPACE}:{camel_case(field)}")

    if value("image") is not None:
        return None, f"the stack deploys its own image {value('image')}"
    port = value("container_port") or field_default("container_port", ServiceSettings)
    if int(port) != demo_image.PORT:
        return None, f"the stack's containerPort is {port}; the demo serves on {demo_image.PORT}"
    return str(value("image_tag") or field_default("image_tag", AppSettings)), ""


class DemoPublisher:
    """Pushes the built demo image to each ECR repository the deploy creates (``on_created``)."""

    def __init__(self, cloud: Any, client: Any, image: Any, tag: str, console: Any) -> None:
        self.cloud = cloud
        self.client = client
        self.image = image
        self.tag = tag
        self.console = console
        self.pushed: list[str] = []
        self.error: LocalCloudError | None = None
        self._guard = threading.Lock()

    def on_created(self, resource: Any) -> None:
        """Deploy hook: push when *resource* is an ECR repository (in Pulumi's worker thread)."""
        if resource.type_ != REPOSITORY_TYPE:
            return
        uri = self.cloud.ecr.repository_uri(resource.id)
        if any(self.tag in image.tags for image in self.cloud.ecr.stored_images(resource.id)):
            self.console.print(f"demo image already in {uri}:{self.tag}", markup=False)
            return  # a repeated deploy: the repository (IMMUTABLE) keeps its tag
        started = time.monotonic()
        try:
            digest = demo_image.push(self.client, self.image, uri, self.tag)
        except LocalCloudError as exc:
            with self._guard:
                self.error = self.error or exc
            raise
        with self._guard:
            self.pushed.append(f"{uri}:{self.tag}")
        self.console.print(
            f"demo image pushed to [bold]{uri}:{self.tag}[/] ({digest[:19]}, "
            f"{time.monotonic() - started:.1f} s)"
        )


@contextmanager
def demo_image_step(
    cloud: Any, stack_config: Path, overrides: dict[str, Any], console: Any
) -> Iterator[DemoPublisher | None]:
    """Around the deploy: build the demo image and yield its publisher when the cloud runs tasks
    as containers (``cloud.runtime``), or say why not and yield None. A failed push is raised
    as its own one-line ``LocalCloudError``."""
    if cloud.runtime.name != "docker":
        console.print(REAL_CONTAINERS_HINT.format(reason=cloud.runtime.reason), markup=False)
        yield None
        return
    tag, why = demo_plan(stack_config, overrides)
    if tag is None or not cloud.ecr.running:
        console.print(
            f"no demo image: {why or 'the local ECR has ' + cloud.ecr.status}", markup=False
        )
        yield None
        return
    import docker as docker_sdk

    client = docker_sdk.from_env()
    try:
        started = time.monotonic()
        built = demo_image.build(client)
        console.print(
            f"demo image [bold]{demo_image.IMAGE}[/] built ({time.monotonic() - started:.1f} s)"
        )
        publisher = DemoPublisher(cloud, client, built, tag, console)
        try:
            yield publisher
        except Exception:
            if publisher.error is not None:
                raise publisher.error from None
            raise
    finally:
        client.close()
