"""The fargate-app Pulumi program: stack config in, one FargateApp out, its outputs exported.

A stack config with ``fargate-app:platform`` gets a FargatePlatform instead, with the apps of
``fargate-app:apps`` deployed into it: it exports ``platform`` (for other stacks'
StackReferences), ``url``, ``apps`` (each app's outputs) and ``reconcile`` as a list.
"""

import pulumi

from components import OUTPUT_NAMES, FargateApp, FargatePlatform
from components.config import PlatformStack, app_from_config, platform_from_config
from contract import RECONCILE_OUTPUT


def single_app() -> None:
    """One FargateApp, every output exported."""
    name, args = app_from_config()
    app = FargateApp(name, args)
    for output in OUTPUT_NAMES:
        pulumi.export(output, getattr(app, output))


def shared_platform(stack: PlatformStack) -> None:
    """The platform and its apps, all validated before any is created."""
    stack.validate()
    platform = FargatePlatform(stack.name, stack.platform)
    apps = {
        name: FargateApp(name, {**args, "platform": platform.platform})
        for name, args in stack.apps.items()
    }
    pulumi.export("platform", platform.platform)
    pulumi.export("url", platform.url)
    pulumi.export(
        "apps",
        {name: {key: getattr(app, key) for key in OUTPUT_NAMES} for name, app in apps.items()},
    )
    if apps:
        pulumi.export(RECONCILE_OUTPUT, [app.reconcile for app in apps.values()])


platform_stack = platform_from_config()
if platform_stack is None:
    single_app()
else:
    shared_platform(platform_stack)
