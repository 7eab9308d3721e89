"""Unit-test your own program that uses FargateApp: the supported mocks and runner.

``AwsLikeMocks`` answers every resource and invoke the component makes the way AWS shapes them
(ids, ARNs, ``arnSuffix``, DNS names, repository URLs, AZs), so outputs built from them have
realistic values. Mocks in the style of Pulumi's testing guide work too: what they leave unset
(an ARN, an invoke's region) is treated like an unknown, so outputs built from it are unknown
(``None`` in a test) instead of crashing the component.

Guide style::

    pulumi.runtime.set_mocks(AwsLikeMocks(), preview=False)

    @pulumi.runtime.test
    def test_service_name():
        app = FargateApp("web", {"image": "nginx:1.27"})

        def check(name):
            assert name == "web"

        return app.service_name.apply(check)

Or with this project's runner, which also records every registered resource::

    result = run_program(None, AwsLikeMocks(), program=my_program, stack="test")
    result.one("aws:ecs/service:Service").inputs["desiredCount"]
"""

from __future__ import annotations

from .mocks import ACCOUNT, REGION, AwsLikeMocks
from .program import ProgramResult, RegisteredResource, run_program

__all__ = [
    "ACCOUNT",
    "REGION",
    "AwsLikeMocks",
    "ProgramResult",
    "RegisteredResource",
    "run_program",
]
