"""``components.program.run_program``: one program run under the mock runtime."""

from __future__ import annotations

import asyncio
import gc
import logging

import pulumi
import pulumi_aws as aws
import pytest

from components.program import _current_loop, run_program
from components.testing import AwsLikeMocks


class RefusingMocks(AwsLikeMocks):
    """AWS-like mocks that refuse to create the resource named ``broken``."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.name == "broken":
            raise RuntimeError("broken: refused by the mocks")
        return super().new_resource(args)


def bucket_and_dependents() -> None:
    broken = aws.s3.BucketV2("broken")
    for index in range(3):  # each waits on the refused bucket's id when the run fails
        aws.s3.BucketPolicy(f"policy-{index}", bucket=broken.id, policy="{}")


def test_a_failed_run_raises_its_error_and_leaves_nothing_for_asyncio_to_log(caplog):
    caplog.set_level(logging.ERROR, logger="asyncio")
    with pytest.raises(Exception, match="broken: refused by the mocks"):
        run_program(None, RefusingMocks(), program=bucket_and_dependents)
    result = run_program(None, AwsLikeMocks(), program=lambda: aws.s3.BucketV2("fine") and None)
    gc.collect()  # the runtime state the next run clears, then collection: what asyncio logs
    assert [record.getMessage() for record in caplog.records if record.name == "asyncio"] == []
    assert [r.name for r in result.resources if r.type_ == "aws:s3/bucketV2:BucketV2"] == ["fine"]


def test_runs_close_every_event_loop_they_make_and_leave_the_threads_loop_as_it_was(monkeypatch):
    """A run makes a loop for itself and the SDK one for each thread of the mock monitor's
    executor: all closed when the run ends, failed or not (an open one warns when collected,
    and at exit prints "Exception ignored in BaseEventLoop.__del__")."""
    policy = asyncio.get_event_loop_policy()
    made: list[asyncio.AbstractEventLoop] = []
    make = policy.new_event_loop
    monkeypatch.setattr(policy, "new_event_loop", lambda: made.append(make()) or made[-1])
    before = _current_loop()
    run_program(None, AwsLikeMocks(), program=lambda: aws.s3.BucketV2("fine") and None)
    with pytest.raises(Exception, match="broken: refused by the mocks"):
        run_program(None, RefusingMocks(), program=bucket_and_dependents)
    assert len(made) > 2  # the runs' own and their threads'
    assert [loop for loop in made if not loop.is_closed()] == []
    assert _current_loop() is before
