"""A user's own unit tests of a program that uses FargateApp, written as Pulumi's testing guide
shows them (``pulumi.runtime.set_mocks`` plus ``@pulumi.runtime.test``), under the guide's mocks
and under the shipped ``components.testing.AwsLikeMocks``."""

from __future__ import annotations

import asyncio

import pulumi
import pulumi_aws as aws
import pytest
from pulumi.runtime import settings as pulumi_settings

from components import FargateApp
from components.testing import ACCOUNT, REGION, AwsLikeMocks


class GuideMocks(pulumi.runtime.Mocks):
    """The mocks of Pulumi's testing guide, verbatim."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        return [args.name + "_id", args.inputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


def shop() -> FargateApp:
    """The user's program: an app reading a secret it creates, scaling on CPU and requests."""
    database_url = aws.secretsmanager.Secret("database-url")
    return FargateApp(
        "shop",
        {
            "image": "public.ecr.aws/nginx/nginx:1.27",
            "desired_count": 2,
            "secrets": {"DATABASE_URL": database_url.arn},
            "autoscaling": {"min_count": 2, "max_count": 6, "requests_per_target": 100},
        },
    )


@pytest.fixture(params=["guide", "aws-like"])
def mocks(request):
    """Install the mocks as the guide does; a fresh loop and root per test, because this suite
    runs many programs in one process."""
    chosen = GuideMocks() if request.param == "guide" else AwsLikeMocks()
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi_settings.ROOT.set(None)
    pulumi.runtime.set_mocks(chosen, project="shop-infra", stack="test", preview=False)
    yield request.param
    pulumi_settings.ROOT.set(None)
    asyncio.set_event_loop(None)
    loop.close()


def test_the_service_cluster_and_logs_are_named_after_the_app(mocks):
    @pulumi.runtime.test
    def check():
        app = shop()

        def names(values):
            service, cluster, log_group = values
            assert service == "shop"
            assert cluster == "shop-test"
            assert log_group == "/ecs/shop-test"

        return pulumi.Output.all(app.service_name, app.cluster_name, app.log_group_name).apply(
            names
        )

    check()


def test_what_the_mocks_leave_unset_is_unknown_and_the_rest_is_real(mocks):
    @pulumi.runtime.test
    def check():
        app = shop()

        def outputs(values):
            url, reconcile = values
            if mocks == "guide":
                # No DNS name nor target group ARN from these mocks: unknown, not a crash.
                assert url is None
                assert reconcile is None
            else:
                assert url.startswith("http://shop-") and url.endswith(".elb.amazonaws.com")
                assert reconcile["region"] == REGION
                assert reconcile["desired_count"] == 2
                assert reconcile["max_count"] == 6
                assert reconcile["target_group_arn"].startswith(
                    f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/"
                )

        return pulumi.Output.all(app.url, app.reconcile).apply(outputs)

    check()
