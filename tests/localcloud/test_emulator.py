"""The embedded emulator: ports, reset, throttling and the control API."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud import LocalCloud, LocalCloudError
from localcloud.remote import RemoteCloud

NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"})


def test_busy_port_is_a_one_line_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(LocalCloudError) as error:
            LocalCloud(port=port).start()
    assert str(error.value) == (
        f"port {port} on 127.0.0.1 is busy (another emulator or LocalStack?); "
        "stop it or choose another with --port"
    )


def test_endpoint_serves_aws_apis_and_reset_forgets_state(local_cloud, aws_client):
    assert ipaddress.ip_address(local_cloud.host).is_loopback
    assert local_cloud.port != 4566
    ecs = aws_client("ecs")
    ecs.create_cluster(clusterName="before-reset")
    assert ecs.list_clusters()["clusterArns"][0].endswith(":cluster/before-reset")
    local_cloud.reset()
    assert ecs.list_clusters()["clusterArns"] == []


def test_managed_policies_are_loaded(aws_client):
    iam = aws_client("iam")
    iam.create_role(RoleName="exec", AssumeRolePolicyDocument="{}")
    arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
    iam.attach_role_policy(RoleName="exec", PolicyArn=arn)
    attached = iam.list_attached_role_policies(RoleName="exec")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [arn]


def test_a_reset_gives_every_managed_policy_back_unattached(local_cloud, aws_client):
    """The managed policies are built once per process; each reset gets its own copies."""
    arn = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
    trust = '{"Version": "2012-10-17", "Statement": []}'
    iam = aws_client("iam")
    iam.create_role(RoleName="reader", AssumeRolePolicyDocument=trust)
    iam.attach_role_policy(RoleName="reader", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    local_cloud.reset()
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0
    iam.create_role(RoleName="writer", AssumeRolePolicyDocument=trust)
    iam.attach_role_policy(RoleName="writer", PolicyArn=arn)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
    assert iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"] == [
        {"RoleName": "writer", "RoleId": iam.get_role(RoleName="writer")["Role"]["RoleId"]}
    ]


def test_every_session_of_the_emulator_process_parses_the_botocore_data_once(local_cloud):
    """moto makes a new boto3 session whenever it lists regions (at import, at each reset): they
    all share one parse of botocore's endpoint data and service models."""
    import boto3

    loaders = [boto3.session.Session()._session.get_component("data_loader") for _ in range(2)]
    assert [type(loader).__name__ for loader in loaders] == ["SharedModelLoader"] * 2
    assert loaders[0].load_data("endpoints") is loaders[1].load_data("endpoints")
    local_cloud.reset()  # moto's regions are listed again, from the same data
    assert "us-east-1" in boto3.session.Session().get_available_regions("ecs")


def test_clients_in_the_emulators_process_get_the_answers_http_clients_get(local_cloud):
    """``LocalCloud.client`` hands requests to the emulator without a socket; a client of the
    same endpoint over HTTP gets the same data and the same errors."""
    in_process = local_cloud.client("ec2")
    over_http = local_cloud.client("ec2", endpoint_url=local_cloud.endpoint_url)
    vpc = in_process.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]
    answers = [c.describe_vpcs(VpcIds=[vpc["VpcId"]]) for c in (in_process, over_http)]
    assert answers[0]["Vpcs"] == answers[1]["Vpcs"] == [answers[0]["Vpcs"][0]]
    assert answers[0]["Vpcs"][0]["CidrBlock"] == "10.9.0.0/16"
    # Only the HTTP server names itself in the Server header: the first answer came without it.
    headers = [answer["ResponseMetadata"]["HTTPHeaders"] for answer in answers]
    assert headers[0]["server"] == "amazon.com"
    assert headers[1]["server"].startswith("Werkzeug/")
    assert [set(h) - {"connection"} for h in headers] == [set(headers[1]) - {"connection"}] * 2
    errors = []
    for client in (in_process, over_http):
        with pytest.raises(ClientError) as raised:
            client.describe_vpcs(VpcIds=["vpc-0000000000nope"])
        errors.append(
            (
                raised.value.response["Error"],
                raised.value.response["ResponseMetadata"]["HTTPStatusCode"],
            )
        )
    assert errors[0] == errors[1]
    assert errors[0][0]["Code"] == "InvalidVpcID.NotFound"


def test_throttle_answers_the_chosen_fraction_with_the_aws_error_codes(aws_client, faults):
    ecs = aws_client("ecs", config=NO_RETRIES)
    elbv2 = aws_client("elbv2", config=NO_RETRIES)
    ec2 = aws_client("ec2", config=NO_RETRIES)
    faults.throttle(0.5)
    outcomes = []
    for _ in range(6):
        try:
            ecs.list_clusters()
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes == ["ok", "ThrottlingException"] * 3
    with pytest.raises(ClientError) as error:
        elbv2.describe_load_balancers()
        elbv2.describe_load_balancers()
    assert error.value.response["Error"]["Code"] == "Throttling"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    for _ in range(4):
        ec2.describe_vpcs()  # not a throttled service
    assert faults.throttled_calls() == {"ecs": 3, "elbv2": 1}
    faults.throttle(0)
    assert [ecs.list_clusters()["clusterArns"] for _ in range(3)] == [[], [], []]


def test_botocore_retries_survive_throttling(aws_client, faults):
    faults.throttle(0.5, services=["ecs"])
    ecs = aws_client("ecs", config=Config(retries={"mode": "standard", "max_attempts": 3}))
    for _ in range(2):
        assert ecs.list_clusters()["clusterArns"] == []
    assert faults.throttled_calls() == {"ecs": 1}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda f: f.throttle(1.5), "throttle fraction 1.5 is out of range; use 0 to 1"),
        (
            lambda f: f.throttle(0.5, services=["s3"]),
            "throttle service 's3' is unknown; use some of ecs, elbv2, "
            "application-autoscaling, ecr, logs",
        ),
        (
            lambda f: f.apply("meteor-strike", {}),
            "fault 'meteor-strike' is unknown; use one of crash-loop, capacity-shortage, "
            "out-of-band-scale, unhealthy-targets, throttle",
        ),
    ],
)
def test_bad_fault_arguments_are_one_line_errors(faults, call, message):
    with pytest.raises(LocalCloudError) as error:
        call(faults)
    assert str(error.value) == message
    assert faults.active() == []


def test_control_api_arms_faults_from_another_process_view(local_cloud, faults):
    remote = RemoteCloud(local_cloud.endpoint_url)
    assert remote.is_localcloud
    remote.faults.capacity_shortage("web", "api")
    remote.faults.throttle(0.25, services=["ecs"])
    assert faults.active() == [
        {"fault": "capacity-shortage", "cluster": "web", "service": "api"},
        {"fault": "throttle", "fraction": 0.25, "services": ["ecs"], "throttled_calls": {}},
    ]
    with pytest.raises(LocalCloudError) as error:
        remote.faults.apply("meteor-strike", {})
    assert str(error.value).startswith("fault 'meteor-strike' is unknown")
    remote.faults.clear()
    assert faults.active() == []


def test_unreachable_endpoint_is_a_one_line_error():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(LocalCloudError) as error:
        RemoteCloud(f"http://127.0.0.1:{port}")
    assert str(error.value).startswith(f"endpoint http://127.0.0.1:{port} is not reachable (")
