"""Registry: ECR scan on push, immutable tags, encryption and a lifecycle policy."""

import json

import pytest


def test_repository_scans_on_push_with_immutable_tags_and_encryption(app):
    repo = app({}).one("aws:ecr/repository:Repository")
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["encryptionConfigurations"] == [{"encryptionType": "AES256"}]
    assert repo.inputs["name"] == "web-test"


@pytest.mark.parametrize(
    ("profile", "kept", "force_delete"), [("dev", 10, True), ("prod", 50, False)]
)
def test_lifecycle_expires_untagged_and_keeps_the_last_images(app, profile, kept, force_delete):
    args = {"profile": profile, "load_balancer": {"internal": True}}
    result = app(args)
    repo = result.one("aws:ecr/repository:Repository")
    policy = result.one("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert policy.inputs["repository"] == repo.outputs["name"]
    untagged, keep_last = json.loads(policy.inputs["policy"])["rules"]
    assert untagged["selection"]["tagStatus"] == "untagged"
    assert untagged["selection"]["countType"] == "sinceImagePushed"
    assert keep_last["selection"] == {
        "tagStatus": "any",
        "countType": "imageCountMoreThan",
        "countNumber": kept,
    }
    assert {untagged["action"]["type"], keep_last["action"]["type"]} == {"expire"}
    assert repo.inputs["forceDelete"] is force_delete


def test_default_image_is_the_repository_url_with_the_tag(app):
    from .conftest import container_of

    result = app({"image_tag": "2024.11.30-abc123"})
    repo_url = result.one("aws:ecr/repository:Repository").outputs["repositoryUrl"]
    assert container_of(result)["image"] == f"{repo_url}:2024.11.30-abc123"
