"""Fargate and AWS limits the component validates against (see AWS docs: task size, quotas)."""

from __future__ import annotations


def _mib(start_gib: int, stop_gib: int, step_gib: int) -> tuple[int, ...]:
    return tuple(gib * 1024 for gib in range(start_gib, stop_gib + 1, step_gib))


#: Valid Linux task memory (MiB) for each task CPU value (units).
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: _mib(1, 4, 1),
    1024: _mib(2, 8, 1),
    2048: _mib(4, 16, 1),
    4096: _mib(8, 30, 1),
    8192: _mib(16, 60, 4),
    16384: _mib(32, 120, 8),
}

#: Retention values CloudWatch Logs accepts (days).
LOG_RETENTION_DAYS: tuple[int, ...] = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

#: TLS policies an HTTPS listener may use: the one list the component validates against and the
#: policy pack's ``alb-tls-policy`` rule enforces by default. Both pass FSBP ELB.17 (TLS 1.2+
#: with forward secrecy) and checkov CKV_AWS_103; the first (TLS 1.3 only) also CKV2_AWS_74. The
#: other ELB.17-compliant policies (``TLS13-1-2-2021-06``, ``-Ext1``/``-Ext2``, ``FS-1-2-Res``)
#: keep CBC or non-TLS-1.3 suites that the pack's checkov controls reject.
COMPLIANT_SSL_POLICIES: tuple[str, ...] = (
    "ELBSecurityPolicy-TLS13-1-3-2021-06",
    "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
)

CPU_ARCHITECTURES: tuple[str, ...] = ("X86_64", "ARM64")
NAT_STRATEGIES: tuple[str, ...] = ("none", "single", "per_az")
PROFILES: tuple[str, ...] = ("dev", "prod")

#: Longest name AWS accepts for an ALB and for a target group.
ELB_NAME_MAX = 32

#: Ephemeral storage (GiB) a Fargate task definition may ask for; unset, a task gets 20 GiB.
EPHEMERAL_STORAGE_GIB_RANGE: tuple[int, int] = (21, 200)

#: Longest container stop timeout (seconds) Fargate honours; unset, it waits 30 s after SIGTERM.
MAX_STOP_TIMEOUT_SECONDS = 120

#: Conditions a container may wait for in another (ECS ``ContainerDependency.condition``).
CONTAINER_DEPENDENCY_CONDITIONS: tuple[str, ...] = ("START", "COMPLETE", "SUCCESS", "HEALTHY")

#: Dependency conditions that wait for the other container to exit: ECS refuses them on an
#: essential one (which must never exit).
EXIT_CONDITIONS: tuple[str, ...] = ("COMPLETE", "SUCCESS")

PORT_PROTOCOLS: tuple[str, ...] = ("tcp", "udp")

POLICY_STATEMENT_EFFECTS: tuple[str, ...] = ("Allow", "Deny")
