"""Inputs of the FargateApp and FargatePlatform components.

Every input is documented exactly once, in the docstring under its annotation; the Pulumi
analyzer turns these docstrings into the package schema and ``python -m components.docs``
turns them into the README's reference table.
"""

from typing import Any, NotRequired, TypedDict

import pulumi


class NetworkArgs(TypedDict):
    """Where the app runs: a new VPC (default) or an existing one."""

    cidr_block: NotRequired[str]
    """CIDR of the new VPC; split into one public and one private subnet per AZ.
    Default `10.0.0.0/16`; must be /16 to /24."""
    az_count: NotRequired[int]
    """Availability zones to spread subnets and tasks over: 2 or 3. Default by profile (dev 2, prod
    3)."""
    nat_gateways: NotRequired[str]
    """Outbound path of the private subnets: `none`, `single` or `per_az`.
    Default by profile (dev `single`, prod `per_az`). `none` needs `vpc_endpoints: true`
    or `assign_public_ip: true`, otherwise tasks cannot pull images or ship logs."""
    vpc_endpoints: NotRequired[bool]
    """Create private VPC endpoints for ECR (api, dkr), S3 (gateway), CloudWatch Logs and,
    when secrets are used, Secrets Manager and SSM. Default false."""
    flow_logs: NotRequired[bool]
    """Send the VPC's flow logs (all traffic) to a CloudWatch log group with `log_retention_days`
    (FSBP EC2.6). Default by profile (dev false, prod true)."""
    vpc_id: NotRequired[pulumi.Input[str]]
    """Bring your own VPC: its id. With `public_subnet_ids` and `private_subnet_ids`, no network
    resource is created."""
    public_subnet_ids: NotRequired[list[pulumi.Input[str]]]
    """Bring your own VPC: subnets for the load balancer (at least 2, in distinct AZs)."""
    private_subnet_ids: NotRequired[list[pulumi.Input[str]]]
    """Bring your own VPC: subnets for the tasks (at least 2, in distinct AZs)."""


class LoadBalancerArgs(TypedDict):
    """The Application Load Balancer in front of the service."""

    internal: NotRequired[bool]
    """Internal (VPC-only) load balancer in the private subnets instead of an internet-facing one.
    Default false."""
    certificate_arn: NotRequired[pulumi.Input[str]]
    """ACM certificate ARN. Gives an HTTPS:443 listener plus an HTTP:80 listener that only
    redirects to HTTPS (301). Required in prod for an internet-facing load balancer."""
    ssl_policy: NotRequired[str]
    """TLS policy of the HTTPS listener. Default `ELBSecurityPolicy-TLS13-1-2-Res-2021-06`; the
    other allowed one is `ELBSecurityPolicy-TLS13-1-3-2021-06` (TLS 1.3 only). These two pass FSBP
    ELB.17 and checkov, and are what the policy pack's `alb-tls-policy` rule allows."""
    allowed_cidrs: NotRequired[list[str]]
    """CIDRs allowed to reach the listener ports. Default `["0.0.0.0/0"]` (a public web app);
    for an internal load balancer in a VPC the component creates, the VPC's CIDR."""
    idle_timeout: NotRequired[int]
    """Connection idle timeout in seconds, 1 to 4000. Default 60."""
    deregistration_delay: NotRequired[int]
    """Seconds a deregistered task's target drains (in-flight requests finish, no new ones)
    before ECS stops the task, 0 to 3600. Default 30 (AWS's own default of 300 slows every
    deployment)."""
    deletion_protection: NotRequired[bool]
    """Refuse to delete the load balancer. Default by profile (dev false, prod true)."""
    access_logs: NotRequired[bool]
    """Write ALB access logs to S3 (FSBP ELB.5): to `access_logs_bucket`, or to a bucket the
    component creates (block public access, SSE-S3, TLS-only policy, the region's log delivery
    principal, objects expire after `log_retention_days`). Default by profile (dev false, prod
    true)."""
    access_logs_bucket: NotRequired[str]
    """Bring your own access-log bucket: its name (its policy must let the region's load
    balancer log delivery write `<app>/AWSLogs/<account>/*`). Turns `access_logs` on. Default:
    not set (with `access_logs` on, the component creates the bucket)."""


class WafArgs(TypedDict):
    """The AWS WAF web ACL in front of an internet-facing load balancer (FSBP ELB.16)."""

    enabled: NotRequired[bool]
    """Guard the load balancer with a WAFv2 web ACL: AWS's managed common rule set and
    known-bad-inputs rule group plus a per-IP rate limit, with metrics and sampled requests.
    Default by profile (dev false, prod true) for an internet-facing load balancer; false for
    an internal one."""
    web_acl_arn: NotRequired[pulumi.Input[str]]
    """Bring your own REGIONAL web ACL: its ARN; the component only associates it. Turns
    `enabled` on."""
    rate_limit: NotRequired[int]
    """Requests one IP may make in 5 minutes before the rate-based rule blocks it, 10 (AWS's
    minimum) to 2000000000. Default 2000."""


class AutoscalingArgs(TypedDict):
    """Target-tracking autoscaling of the service's desired count."""

    min_count: NotRequired[int]
    """Fewest tasks. Default `desired_count`."""
    max_count: NotRequired[int]
    """Most tasks. Default: 4 x `min_count`."""
    cpu_target: NotRequired[float]
    """Average CPU utilization (percent, 1 to 100) to track. Default 70."""
    memory_target: NotRequired[float]
    """Average memory utilization (percent, 1 to 100) to track. Default: not tracked."""
    requests_per_target: NotRequired[int]
    """ALB requests per target (RequestCountPerTarget) to track. Default: not tracked."""


class PortMappingArgs(TypedDict):
    """A port a sidecar listens on (inside the task; the load balancer targets the app only)."""

    container_port: int
    """Port number, 1 to 65535; unique in the task."""
    protocol: NotRequired[str]
    """`tcp` or `udp`. Default `tcp`."""


class ContainerDependencyArgs(TypedDict):
    """A container the sidecar waits for before it starts."""

    container_name: str
    """Name of the container waited for: `app` (the main container) or another sidecar."""
    condition: str
    """`START` (it started), `COMPLETE` (it exited), `SUCCESS` (it exited with 0) or `HEALTHY`
    (it passes its health check). `COMPLETE` and `SUCCESS` need a non-essential container,
    `HEALTHY` one with a health check."""


class SidecarArgs(TypedDict):
    """A container beside the app's in every task (a proxy, an agent, an init step). It logs to
    the app's log group under its own stream prefix (its name)."""

    name: str
    """Container name: letters, digits, `-` and `_`, unique, and not `app` (the main container)."""
    image: pulumi.Input[str]
    """Container image."""
    essential: NotRequired[bool]
    """The task stops when this container stops. Default true."""
    command: NotRequired[list[str]]
    """Command (arguments to the entry point) instead of the image's."""
    entry_point: NotRequired[list[str]]
    """Entry point instead of the image's."""
    port_mappings: NotRequired[list[PortMappingArgs]]
    """Ports it listens on; not the app's `container_port`, not another sidecar's."""
    environment: NotRequired[dict[str, str]]
    """Plain environment variables. Put credentials in `secrets`."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """Environment variable name to Secrets Manager secret ARN or SSM parameter ARN; the execution
    role may read these ARNs too."""
    health_check_command: NotRequired[list[str]]
    """Container health check, e.g. `["CMD-SHELL", "nc -z localhost 9000"]`."""
    depends_on: NotRequired[list[ContainerDependencyArgs]]
    """Containers to wait for before starting."""
    cpu: NotRequired[int]
    """CPU units reserved for it; all sidecars together at most the task's `cpu`. Default: not
    reserved."""
    memory: NotRequired[int]
    """Memory (MiB) it may use at most; all sidecars together less than the task's `memory`.
    Default: not limited."""
    readonly_root_filesystem: NotRequired[bool]
    """Mount its root filesystem read-only (FSBP ECS.5). Default true."""
    stop_timeout: NotRequired[int]
    """Seconds ECS waits after SIGTERM before killing it, 1 to 120. Default: not set (Fargate
    waits 30 s)."""


class PolicyStatementArgs(TypedDict):
    """An IAM policy statement, with IAM's own key names."""

    Sid: NotRequired[str]
    """Statement id: letters and digits."""
    Effect: str
    """`Allow` or `Deny`."""
    Action: NotRequired[list[str]]
    """Actions (`service:Action`, wildcards allowed); a single string works too. Exactly one of
    `Action` and `NotAction`."""
    NotAction: NotRequired[list[str]]
    """Every action but these."""
    Resource: NotRequired[list[pulumi.Input[str]]]
    """Resource ARNs (or `*`); a single string works too. Exactly one of `Resource` and
    `NotResource`."""
    NotResource: NotRequired[list[pulumi.Input[str]]]
    """Every resource but these."""
    Condition: NotRequired[dict[str, Any]]
    """Condition operator to condition key to value(s), as in IAM."""


class SharedPlatform(TypedDict):
    """What a FargatePlatform shares with the apps deployed into it (its `platform` output):
    plain data, so it crosses stacks through a StackReference."""

    vpc_id: str
    """VPC of the platform."""
    public_subnet_ids: list[str]
    """Public subnets (the load balancer's, unless internal)."""
    private_subnet_ids: list[str]
    """Private subnets (the apps' tasks)."""
    cluster_name: str
    """Name of the shared ECS cluster."""
    cluster_arn: str
    """ARN of the shared ECS cluster."""
    load_balancer_arn: str
    """ARN of the shared load balancer."""
    load_balancer_dns_name: str
    """DNS name of the shared load balancer."""
    load_balancer_security_group_id: str
    """Security group of the shared load balancer: the only source the apps' tasks admit."""
    http_listener_arn: str
    """ARN of the HTTP:80 listener (redirecting to HTTPS when there is a certificate)."""
    https_listener_arn: NotRequired[str]
    """ARN of the HTTPS:443 listener; absent without a certificate. Apps' listener rules go on
    it when present."""
    region: str
    """Region of the platform."""


class RoutingArgs(TypedDict):
    """Which requests of the platform's load balancer reach an app: a listener rule."""

    host_headers: NotRequired[list[str]]
    """Host names to match (`*` and `?` wildcards), e.g. `["api.example.com"]`."""
    path_patterns: NotRequired[list[str]]
    """URL path patterns to match (`*` and `?` wildcards), e.g. `["/api/*"]`."""
    priority: int
    """Rule priority, 1 to 50000 (lower is evaluated first); unique among the apps of one
    program."""


class FargateAppArgs(TypedDict):
    """Inputs of a FargateApp. Plain dicts are accepted; an unknown key is an error."""

    image: NotRequired[pulumi.Input[str]]
    """Container image. Default: the component's ECR repository URL with `image_tag`."""
    image_tag: NotRequired[str]
    """Tag of the image in the component's repository (tags are immutable: deploy a new tag per
    release). Default `latest`."""
    container_port: NotRequired[int]
    """Port the container listens on, 1 to 65535. Default 80."""
    cpu: NotRequired[int]
    """Task CPU units: 256, 512, 1024, 2048, 4096, 8192 or 16384. Default 256."""
    memory: NotRequired[int]
    """Task memory in MiB; must form a valid Fargate pair with `cpu`. Default 512."""
    cpu_architecture: NotRequired[str]
    """`X86_64` or `ARM64` (Graviton; cannot run on Fargate Spot). Default `X86_64`."""
    desired_count: NotRequired[int]
    """Tasks to keep running (initial count when autoscaling is on). Default by profile (dev 1,
    prod 2)."""
    environment: NotRequired[dict[str, str]]
    """Plain environment variables of the container. Put credentials in `secrets`."""
    secrets: NotRequired[dict[str, pulumi.Input[str]]]
    """Environment variable name to Secrets Manager secret ARN or SSM parameter ARN. The execution
    role may read exactly these ARNs."""
    health_check_path: NotRequired[str]
    """Path the target group health check requests; must start with `/`. Default `/`."""
    health_check_command: NotRequired[list[str]]
    """Optional container health check, e.g. `["CMD-SHELL", "curl -f http://localhost/ || exit
    1"]`."""
    readonly_root_filesystem: NotRequired[bool]
    """Mount the container's root filesystem read-only (FSBP ECS.5). Default true."""
    log_retention_days: NotRequired[int]
    """CloudWatch Logs retention, one of the values CloudWatch allows. Default by profile (dev 7,
    prod 365)."""
    assign_public_ip: NotRequired[bool]
    """Run tasks in the public subnets with public IPs (FSBP ECS.2 violation; only for
    `nat_gateways: none` without VPC endpoints). Default false."""
    spot: NotRequired[bool]
    """Run tasks on FARGATE_SPOT (interruptible, about 70% cheaper). Default by profile (dev true
    on X86_64, prod false)."""
    profile: NotRequired[str]
    """Preset of cost and availability defaults: `dev` or `prod`. Default `dev`."""
    tags: NotRequired[dict[str, str]]
    """Extra tags for every taggable resource (on top of app, stack and managed-by)."""
    network: NotRequired[NetworkArgs]
    """Network settings."""
    load_balancer: NotRequired[LoadBalancerArgs]
    """Load balancer settings."""
    autoscaling: NotRequired[AutoscalingArgs]
    """Autoscaling settings; absent means a fixed `desired_count`."""
    waf: NotRequired[WafArgs]
    """WAF settings of the load balancer."""
    kms_encryption: NotRequired[bool]
    """Encrypt the app's and the flow logs' log groups and the ECR repository with a
    customer-managed KMS key (rotation on; its policy lets CloudWatch Logs use it for exactly
    these log groups and ECR for this account's repositories). ECR sets encryption only at
    creation: an existing repository keeps its encryption. Default by profile (dev false, prod
    true)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Bring your own KMS key: its key ARN (its policy must let `logs.<region>.amazonaws.com` use
    it for the app's log groups). Turns `kms_encryption` on."""
    task_role_policy_arns: NotRequired[list[pulumi.Input[str]]]
    """Managed IAM policy ARNs (AWS's or yours) to attach to the task role, the role the app's
    code runs as."""
    task_role_statements: NotRequired[list[PolicyStatementArgs]]
    """IAM statements of an inline policy of the task role; the policy pack's IAM rules judge them
    like the component's own."""
    sidecars: NotRequired[list[SidecarArgs]]
    """Containers beside the app's in every task; the app's container stays the load balancer's
    target."""
    enable_execute_command: NotRequired[bool]
    """ECS Exec: shell into running tasks (`aws ecs execute-command`). Adds exactly the four
    `ssmmessages` channel permissions to the task role. Default false; the policy pack flags it
    in prod (FA.4, advisory)."""
    ephemeral_storage_gib: NotRequired[int]
    """Task ephemeral storage in GiB, 21 to 200. Default: not set (Fargate gives 20 GiB)."""
    stop_timeout: NotRequired[int]
    """Seconds ECS waits after SIGTERM before killing the app's container, 1 to 120. Default: not
    set (Fargate waits 30 s)."""
    platform: NotRequired[pulumi.Input[SharedPlatform]]
    """Deploy into a shared FargatePlatform (its `platform` output, e.g. from a StackReference):
    the app creates no VPC, cluster or load balancer, only its own pieces and a listener rule.
    Not with `network` or `load_balancer`."""
    routing: NotRequired[RoutingArgs]
    """Listener rule of the app on the platform's load balancer; required with `platform`."""


class FargatePlatformArgs(TypedDict):
    """Inputs of a FargatePlatform: the network, cluster and load balancer many apps share."""

    profile: NotRequired[str]
    """Preset of cost and availability defaults: `dev` or `prod`. Default `dev`."""
    network: NotRequired[NetworkArgs]
    """Network settings, as a FargateApp's."""
    load_balancer: NotRequired[LoadBalancerArgs]
    """Load balancer settings, as a FargateApp's."""
    log_retention_days: NotRequired[int]
    """Retention of the VPC flow logs, one of the values CloudWatch allows. Default by profile
    (dev 7, prod 365)."""
    waf: NotRequired[WafArgs]
    """WAF settings of the shared load balancer, as a FargateApp's."""
    kms_encryption: NotRequired[bool]
    """Encrypt the flow logs' log group with a customer-managed KMS key (rotation on; its policy
    lets CloudWatch Logs use it for exactly that log group). Default by profile (dev false, prod
    true)."""
    kms_key_arn: NotRequired[pulumi.Input[str]]
    """Bring your own KMS key for the flow logs: its key ARN. Turns `kms_encryption` on."""
    tags: NotRequired[dict[str, str]]
    """Extra tags for every taggable resource (on top of platform, stack and managed-by)."""
