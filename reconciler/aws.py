"""AWS client factory (plain AWS, an endpoint URL, or LocalStack), API call counting, error mapping.

Clients use botocore's adaptive retry mode: exponential backoff with jitter on throttling and
transient errors, plus a client-side rate limiter that slows down when AWS throttles. Their
sessions share botocore's parsed service models (``SharedModelLoader``).
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from botocore.loaders import Loader

from reconciler.errors import AwsAccessError

DEFAULT_REGION = "us-east-1"
DEFAULT_MAX_ATTEMPTS = 8

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "SlowDown",
    }
)
CREDENTIAL_CODES = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "ExpiredToken",
        "ExpiredTokenException",
        "AuthFailure",
        "AccessDenied",
        "AccessDeniedException",
    }
)


@dataclass(frozen=True)
class AwsTarget:
    """Where and how to call AWS."""

    endpoint_url: str | None = None
    #: Use localstack-client's endpoint (LOCALSTACK_HOST, AWS_ENDPOINT_URL, else localhost:4566).
    localstack: bool = False
    #: `host:port` of LocalStack's edge, overriding LOCALSTACK_HOST.
    localstack_host: str | None = None
    region: str | None = None
    #: Fixed credentials (``aws_access_key_id``, ``aws_secret_access_key``) for an endpoint that
    #: needs no real ones, such as an emulator; None uses the usual chain (env, profile, role).
    credentials: Mapping[str, str] | None = None
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    max_pool_connections: int = 10


@dataclass
class ApiCallCounter:
    """Counts API operations (not retry attempts), errored attempts and throttled attempts."""

    calls: Counter[str] = field(default_factory=Counter)
    errors: Counter[tuple[str, str]] = field(default_factory=Counter)
    throttled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def attach(self, client: Any) -> None:
        """Hook this counter into a boto3 client's event system."""
        events = client.meta.events
        events.register("before-call.*.*", self._on_call)
        events.register("needs-retry.*.*", self._on_attempt)

    def snapshot(self) -> tuple[dict[str, int], dict[tuple[str, str], int], int]:
        """Copies of (calls, errors, throttled) to diff against later."""
        with self._lock:
            return dict(self.calls), dict(self.errors), self.throttled

    def since(
        self, snap: tuple[dict[str, int], dict[tuple[str, str], int], int]
    ) -> tuple[dict[str, int], dict[tuple[str, str], int], int]:
        """What was counted after `snap`."""
        calls, errors, throttled = self.snapshot()
        return (
            {k: v - snap[0].get(k, 0) for k, v in calls.items() if v - snap[0].get(k, 0)},
            {k: v - snap[1].get(k, 0) for k, v in errors.items() if v - snap[1].get(k, 0)},
            throttled - snap[2],
        )

    def _on_call(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[model.name] += 1

    def _on_attempt(
        self, response: Any = None, caught_exception: Any = None, operation: Any = None, **_: Any
    ) -> None:
        code = None
        if caught_exception is not None:
            code = type(caught_exception).__name__
        elif response is not None:
            code = (response[1] or {}).get("Error", {}).get("Code")
        if not code:
            return
        with self._lock:
            self.errors[(getattr(operation, "name", "?"), code)] += 1
            if code in THROTTLING_CODES:
                self.throttled += 1


class SharedModelLoader(Loader):
    """botocore's data loader, with the files it parses (service models, endpoints, partitions)
    shared by every such loader of the process that searches the same paths.

    Each botocore session has its own loader, so each new session parses the JSON models of the
    services it makes clients for again: 0.1 to 0.3 s per service, the larger part of creating a
    client. The files are installed data that botocore does not change once loaded.
    """

    _parsed: ClassVar[dict[tuple[tuple[str, ...], str], Any]] = {}

    def load_data_with_path(self, name: str) -> Any:
        key = (tuple(self.search_paths), name)
        if key not in self._parsed:
            self._parsed[key] = super().load_data_with_path(name)
        return self._parsed[key]


def shared_loader(search_path_string: str | None = None) -> SharedModelLoader:
    """``botocore.loaders.create_loader`` (``AWS_DATA_PATH`` semantics), with a shared cache."""
    extra = search_path_string.split(os.pathsep) if search_path_string else []
    return SharedModelLoader(
        extra_search_paths=[os.path.expanduser(os.path.expandvars(path)) for path in extra]
    )


def boto_session(**credentials: str) -> boto3.session.Session:
    """A new boto3 session (its own credentials, region and config, as ``boto3.session.Session``)
    whose parsed service models are shared with the process's other sessions."""
    core = botocore.session.Session()
    core.register_component("data_loader", shared_loader(core.get_config_variable("data_path")))
    return boto3.session.Session(botocore_session=core, **credentials)


class ClientFactory:
    """Creates (once) and caches boto3 clients per service and region, all counted."""

    def __init__(
        self, target: AwsTarget | None = None, counter: ApiCallCounter | None = None
    ) -> None:
        self.target = target or AwsTarget()
        self.counter = counter or ApiCallCounter()
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._session: Any = None
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": self.target.max_attempts},
            connect_timeout=self.target.connect_timeout,
            read_timeout=self.target.read_timeout,
            max_pool_connections=self.target.max_pool_connections,
        )

    def region_for(self, region: str | None = None) -> str:
        """The region: the declared one, else --region, else the profile's, else us-east-1."""
        if region:
            return region
        if self.target.region:
            return self.target.region
        return self._boto_session().region_name or DEFAULT_REGION

    def client(self, service: str, region: str | None = None) -> Any:
        """A counted client for `service` in `region`."""
        region = self.region_for(region)
        key = (service, region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._create(service, region)
            return self._clients[key]

    def endpoint(self, service: str = "ecs", region: str | None = None) -> str:
        """The endpoint URL clients for `service` call, for messages."""
        return self.client(service, region).meta.endpoint_url

    def _boto_session(self) -> Any:
        if self._session is None:
            self._session = boto_session(**(self.target.credentials or {}))
        return self._session

    def _create(self, service: str, region: str) -> Any:
        if self.target.localstack:
            from localstack_client.session import Session as LocalStackSession

            client = LocalStackSession(
                region_name=region, localstack_host=self.target.localstack_host
            ).client(service, config=self._config)
        else:
            client = self._boto_session().client(
                service,
                region_name=region,
                endpoint_url=self.target.endpoint_url,
                config=self._config,
            )
        self.counter.attach(client)
        return client


def error_code(exc: ClientError) -> str:
    """The AWS error code of a ClientError."""
    return exc.response.get("Error", {}).get("Code", "") or ""


def access_error(
    exc: Exception, *, operation: str, endpoint: str, max_attempts: int
) -> AwsAccessError | None:
    """The AwsAccessError (exit 3) for a failure that says nothing about one service, else None."""
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return AwsAccessError(
            f"no AWS credentials for {operation} at {endpoint}: {exc}; set AWS_PROFILE or "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or use --localstack)",
            kind="credentials",
        )
    if isinstance(exc, BotoConnectionError):
        return AwsAccessError(
            f"cannot reach AWS at {endpoint} ({operation}) after {max_attempts} attempts: {exc}",
            kind="unreachable",
            transient=True,
        )
    if isinstance(exc, ClientError):
        code = error_code(exc)
        message = exc.response.get("Error", {}).get("Message", "") or code
        if code in CREDENTIAL_CODES:
            return AwsAccessError(
                f"AWS refused the credentials for {operation} at {endpoint}: {code}: {message}",
                kind="credentials",
            )
        if code in THROTTLING_CODES:
            return AwsAccessError(
                f"AWS kept throttling {operation} at {endpoint} "
                f"after {max_attempts} attempts ({code})",
                kind="throttled",
                transient=True,
            )
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0
        return AwsAccessError(
            f"AWS error on {operation} at {endpoint}: {code}: {message}", transient=status >= 500
        )
    if isinstance(exc, BotoCoreError):
        return AwsAccessError(
            f"AWS call {operation} at {endpoint} failed: {exc}", kind="unreachable", transient=True
        )
    return None
