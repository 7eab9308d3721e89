"""A local AWS cloud for the FargateApp: no AWS account, no Docker, no Pulumi CLI.

- ``LocalCloud`` runs moto's server in this process (127.0.0.1:4566 by default, LocalStack's
  edge port), adds the ECS service scheduler moto lacks (tasks PENDING -> RUNNING, replaced
  when they stop, registered in the service's target groups, deployments and rollout state
  kept consistent) and fault injection (crash loop, capacity shortage, out-of-band scale,
  unhealthy targets, throttling).
- ``LocalCloud.deploy(stack_config)`` emulates ``pulumi up`` of the project's ``__main__.py``
  under Pulumi's mock runtime, every resource created through real AWS API calls on the
  emulator; ``pulumi up -s localstack`` (or ``-s dev``) remains the real path.
- ``python -m localcloud up|serve|fault`` is the command line (``make up``); the pytest plugin
  ``localcloud.pytest_plugin`` gives tests the fixtures ``local_cloud``, ``aws_client``,
  ``ecs_scheduler``, ``faults`` and ``deployed_stack``; ``localcloud.testing.ServiceBuilder``
  builds a minimal Fargate service for a test.

The emulation beyond moto is grouped by AWS service (``localcloud.ecs``, ``localcloud.elbv2``,
``localcloud.iam``); ``localcloud.faults`` is the armed faults' state and ``localcloud.control``
the control API that ``localcloud.remote`` speaks from another process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from localcloud.errors import ConfigError, LocalCloudError

if TYPE_CHECKING:
    from localcloud.cloud import LocalCloud

__all__ = ["ConfigError", "LocalCloud", "LocalCloudError"]


def __getattr__(name: str) -> Any:
    # Lazy: importing moto takes a second, and the pytest plugin loads this package in every
    # test run, including runs that never start the emulator.
    if name == "LocalCloud":
        from localcloud.cloud import LocalCloud

        return LocalCloud
    raise AttributeError(f"module 'localcloud' has no attribute {name!r}")
