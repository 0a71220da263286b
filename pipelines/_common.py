"""The one template shape every Glassbox step shares (see docs/architecture.md)."""

from __future__ import annotations

from collections.abc import Sequence

from hera.workflows import (
    ConfigMapEnvFrom,
    Container,
    Counter,
    EmptyDirVolume,
    Env,
    ExistingVolume,
    FieldEnv,
    Histogram,
    Label,
    Parameter,
    Resources,
    RetryStrategy,
    SecretEnv,
)
from hera.workflows.models import (
    Backoff,
    Capabilities,
    PodSecurityContext,
    SeccompProfile,
    SecurityContext,
    ValueFrom,
)

DEFAULT_IMAGE = "glassbox-mlops:latest"
SERVICE_ACCOUNT = "glassbox-workflow"
CONFIG_ENV = "glassbox-env"  # ConfigMap: MLFLOW_TRACKING_URI, GLASSBOX_ENV, ... (k8s/)
SECRETS = "glassbox-secrets"  # Secret keys → env names; optional: a step runs without them
SECRET_ENV = {
    "slack-webhook-url": "SLACK_WEBHOOK_URL",
    "slack-webhook-url-warning": "SLACK_WEBHOOK_URL_WARNING",
    "slack-webhook-url-critical": "SLACK_WEBHOOK_URL_CRITICAL",
    "smtp-username": "SMTP_USERNAME",
    "smtp-password": "SMTP_PASSWORD",
    "pagerduty-routing-key": "PAGERDUTY_ROUTING_KEY",
    "audit-hmac-key": "GLASSBOX_AUDIT_HMAC_KEY",
    "mlflow-tracking-password": "MLFLOW_TRACKING_PASSWORD",
}
UID = 10001
# The alert outbox and dedupe state outlive a pod: a PersistentVolumeClaim (k8s/base).
STATE_CLAIM = "glassbox-state"
STATE_DIR = "/var/lib/glassbox"
RETRY_UNLESS_PERMANENT = "lastRetry.status == 'Error' || asInt(lastRetry.exitCode) != 2"
# Template metrics, emitted by the Argo controller when a step's node completes. Argo exposes
# them prefixed: argo_workflows_glassbox_step_duration_seconds_*, ..._step_failures_total.
STEP_DURATION_BUCKETS = [10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 1800.0, 3600.0, 7200.0]


def _step_metrics(pipeline: str, name: str) -> list[Histogram | Counter]:
    labels = [Label(key="pipeline", value=pipeline), Label(key="step", value=name)]
    return [
        Histogram(
            name="glassbox_step_duration_seconds",
            help="Duration of a Glassbox step node, retries included, by final status.",
            buckets=list(STEP_DURATION_BUCKETS),
            value="{{duration}}",
            labels=[*labels, Label(key="status", value="{{status}}")],
        ),
        Counter(
            name="glassbox_step_failures_total",
            help="Glassbox step nodes that ended Failed or Error.",
            value="1",
            when="{{status}} == Failed || {{status}} == Error",
            labels=labels,
        ),
    ]


def _identity_env(pipeline: str) -> list[Env | FieldEnv]:
    return [
        Env(name="GLASSBOX_PIPELINE", value=pipeline),
        Env(name="GLASSBOX_WORKFLOW_NAME", value="{{workflow.name}}"),
        Env(name="GLASSBOX_WORKFLOW_UID", value="{{workflow.uid}}"),
        Env(name="GLASSBOX_RETRY", value="{{retries}}"),
        Env(name="PYTHONHASHSEED", value="{{workflow.parameters.seed}}"),
        Env(name="MPLCONFIGDIR", value="/tmp/matplotlib"),  # noqa: S108  (emptyDir)
        Env(name="NUMBA_CACHE_DIR", value="/tmp/numba"),  # noqa: S108
        FieldEnv(name="POD_NAME", field_path="metadata.name"),
        FieldEnv(name="POD_NAMESPACE", field_path="metadata.namespace"),
    ]


def step(
    name: str,
    *,
    image: str,
    pipeline: str,
    args: Sequence[str],
    inputs: Sequence[str] = (),
    outputs: Sequence[str] = ("run_id",),
    secrets: Sequence[str] = ("audit-hmac-key", "mlflow-tracking-password"),
    module: str | None = None,
    cpu: str = "1",
    memory: str = "2Gi",
    retries: int = 2,
    deadline_seconds: int = 3600,
    state: bool = False,
    optional_outputs: Sequence[str] = (),
) -> Container:
    """A container template running ``python -m steps.<module>`` as a non-root user.

    Output parameters are files under /tmp/outputs (an emptyDir: the root filesystem is
    read-only); retries back off exponentially; secrets come from the ``glassbox-secrets``
    Secret, each optional so a cluster without Slack or PagerDuty still runs."""
    return Container(
        name=name,
        image=image,
        image_pull_policy="IfNotPresent",
        command=["python", "-m", f"steps.{module or name}"],
        args=list(args),
        inputs=[Parameter(name=i) for i in inputs],
        outputs=[
            Parameter(
                name=o,
                value_from=ValueFrom(
                    path=f"/tmp/outputs/{o}",  # noqa: S108
                    default="" if o in optional_outputs else None,
                ),
            )
            for o in outputs
        ],
        env=[
            *_identity_env(pipeline),
            *(
                [Env(name="GLASSBOX_ALERTS__STATE_DIR", value=f"{STATE_DIR}/alerts")]
                if state
                else []
            ),
            *(
                SecretEnv(name=SECRET_ENV[key], secret_name=SECRETS, secret_key=key, optional=True)
                for key in secrets
            ),
        ],
        env_from=[ConfigMapEnvFrom(name=CONFIG_ENV, optional=True)],
        resources=Resources(
            cpu_request=cpu, cpu_limit=cpu, memory_request=memory, memory_limit=memory
        ),
        security_context=SecurityContext(
            run_as_non_root=True,
            run_as_user=UID,
            run_as_group=UID,
            allow_privilege_escalation=False,
            read_only_root_filesystem=True,
            capabilities=Capabilities(drop=["ALL"]),
        ),
        volumes=[
            EmptyDirVolume(name="tmp", mount_path="/tmp"),  # noqa: S108
            *(
                [ExistingVolume(claim_name=STATE_CLAIM, name="state", mount_path=STATE_DIR)]
                if state
                else []
            ),
        ],
        retry_strategy=RetryStrategy(
            limit=retries,
            retry_policy="Always",
            # Exit code 2 = a permanent Glassbox error (bad input, failed gate): never retried.
            expression=RETRY_UNLESS_PERMANENT,
            backoff=Backoff(duration="10s", factor=2, max_duration="5m"),
        ),
        active_deadline_seconds=deadline_seconds,
        metrics=_step_metrics(pipeline, name),
    )


def finalize(*, image: str, pipeline: str) -> Container:
    """The exit handler: closes the pipeline's MLflow run with the workflow's status."""
    return step(
        "finalize",
        image=image,
        pipeline=pipeline,
        args=["--status", "{{workflow.status}}", "--failures", "{{workflow.failures}}"],
        outputs=(),
        retries=3,
        cpu="250m",
        memory="512Mi",
    )


def workflow_spec(pipeline: str, service_account: str) -> dict[str, object]:
    """What every Glassbox workflow shares: exit handler, service account, non-root pods with
    the runtime's default seccomp profile, and the part-of/pipeline labels."""
    return {
        "on_exit": "finalize",
        "service_account_name": service_account,
        "security_context": PodSecurityContext(
            run_as_non_root=True,
            run_as_user=UID,
            fs_group=UID,
            seccomp_profile=SeccompProfile(type="RuntimeDefault"),
        ),
        "labels": {"app.kubernetes.io/part-of": "glassbox", "glassbox/pipeline": pipeline},
    }
