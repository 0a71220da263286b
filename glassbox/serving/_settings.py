"""``serving:`` settings of ``glassbox serve`` (one typed model; env overrides
``GLASSBOX_SERVING__<KEY>[__<SUBKEY>]`` through glassbox.config).

Every knob has a production default; the YAML section in ``mlruns_config/glassbox.yaml`` shows
them all. Secrets are not settings: the audit HMAC key (``GLASSBOX_AUDIT_HMAC_KEY``), the caller
hash key (``GLASSBOX_SERVING_CALLER_KEY``) and the admin token
(``GLASSBOX_SERVING_ADMIN_TOKEN``) come from the environment only.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

SHADOW_MAX_ID = 200  # glassbox.delivery.ShadowRecord's limit on prediction ids


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BatchingSettings(_Section):
    """Micro-batching: concurrent requests share one model call."""

    max_rows: int = Field(1024, ge=1, description="rows per model call at most")
    max_wait_ms: float = Field(
        2.0,
        ge=0,
        description="how long a batch may wait for more requests while some are on their way "
        "(being read, or their callers waiting for an earlier answer); a lone request never "
        "waits",
    )
    max_queue_rows: int = Field(
        8192, ge=1, description="rows waiting for the model; beyond it: 503 overloaded"
    )
    model_thread: bool = Field(
        False,
        description="run each batch on a thread of its own instead of the event loop: for "
        "models that release the GIL for most of a call (a scikit-learn pipeline holds it: "
        "handing batches between threads costs more than it overlaps)",
    )


class RequestSettings(_Section):
    """Limits on one request."""

    max_body_bytes: int = Field(1_048_576, ge=64)
    max_records: int = Field(1000, ge=1, description="records in one /predict or /monitor body")
    max_id_length: int = Field(128, ge=1)
    client_id_header: str = Field(
        "x-client-id",
        min_length=1,
        description="header naming the caller (else its User-Agent); recorded as a keyed hash",
    )


class AuditLogSettings(_Section):
    """The online audit: write-ahead log with group commit, rotated into segments."""

    dir: Path | None = Field(None, description="default: $GLASSBOX_HOME/serving/audit")
    segment_max_records: int = Field(50_000, ge=1)
    segment_max_seconds: float = Field(900.0, gt=0)
    keep_logged_segments: int = Field(
        10, ge=0, description="closed segments already in MLflow kept on the local volume"
    )
    upload_retry_seconds: float = Field(10.0, gt=0)


class DriftWindowSettings(_Section):
    """Live drift of the recent traffic against the model's reference profile."""

    window_rows: int = Field(5000, ge=10)
    min_rows: int = Field(
        1000,
        ge=1,
        description="rows needed before severities are graded (as the cron's min_partition_rows)",
    )
    refresh_seconds: float = Field(10.0, gt=0, description="PSI gauges refreshed this often")


class SloSettings(_Section):
    """Latency objectives, error-rate and throughput bounds behind /alerts (and the rules)."""

    window_requests: int = Field(10_000, ge=10, description="requests in the latency window")
    p95_ms: float = Field(100.0, gt=0)
    p99_ms: float = Field(500.0, gt=0)
    error_rate_warning: float = Field(0.01, ge=0, le=1)
    error_rate_critical: float = Field(0.05, ge=0, le=1)
    min_requests: int = Field(100, ge=1, description="requests in the window before alerting")
    throughput_min_rps: float | None = Field(None, ge=0)
    throughput_max_rps: float | None = Field(None, gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> SloSettings:
        if self.error_rate_warning > self.error_rate_critical:
            raise ValueError("error_rate_warning must not exceed error_rate_critical")
        low, high = self.throughput_min_rps, self.throughput_max_rps
        if low is not None and high is not None and low >= high:
            raise ValueError("throughput_min_rps must be below throughput_max_rps")
        return self


class FaultSettings(_Section):
    """Fault injection, OFF by default: for testing alerting end to end (latency and error
    alerts firing in a real Prometheus). Never set these in production: the serving run is
    tagged ``glassbox.serving.faults`` when they are on."""

    latency_ms: float = Field(0.0, ge=0, le=60_000, description="added to every model call")
    error_rate: float = Field(0.0, ge=0, le=1, description="share of model calls that fail")

    @property
    def enabled(self) -> bool:
        return self.latency_ms > 0 or self.error_rate > 0


class ShadowSettings(_Section):
    """Shadow mode: the challenger scores every served request off the hot path."""

    enabled: bool = Field(True, description="shadow the challenger alias when it is set")
    alias: str = Field("", description="default: delivery.challenger_alias")
    dir: Path | None = Field(None, description="default: $GLASSBOX_HOME/serving/shadow")
    max_queue_rows: int = Field(
        20_000,
        ge=1,
        description="rows waiting for the challenger; beyond it batches are dropped (and "
        "counted), never the champion slowed",
    )
    sample_rate: float = Field(
        1.0,
        gt=0,
        le=1,
        description="share of answered batches the challenger scores (1: every request; less "
        "halves, ... its CPU cost, and the analysis needs proportionally longer)",
    )
    file_max_records: int = Field(50_000, ge=1, description="records per shadow-log file")
    file_max_seconds: float = Field(900.0, gt=0, description="a file is closed after ...")
    keep_logged_files: int = Field(
        200, ge=0, description="closed files already logged to MLflow kept on the local volume"
    )


class ServerTriggerSettings(_Section):
    """The ``delivery.triggers`` rules evaluated against the server's live metrics."""

    enabled: bool = True
    interval_seconds: float = Field(30.0, gt=0, description="evaluated every ...")


class ServingSettings(_Section):
    """``glassbox serve``: the model, the listener and the live glass-box record."""

    model_uri: str = Field(
        "", description="default: models:/<tracking.registered_model>@<tracking.champion_alias>"
    )
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    experiment: str = Field("glassbox-car-loan-serving", min_length=1)
    label_threshold: float = Field(0.5, gt=0, lt=1, description="label = proba >= threshold")
    model_threads: int = Field(1, ge=1, description="BLAS/OpenMP threads of the model call")
    follow_alias: bool = True
    alias_poll_seconds: float = Field(10.0, gt=0)
    system_metrics_interval_seconds: float = Field(30.0, gt=0)
    summary_interval_seconds: float = Field(60.0, gt=0, description="run metrics every ...")
    drain_seconds: float = Field(25.0, gt=0, description="SIGTERM: time to finish requests")
    access_log: bool = Field(True, description="one JSON line per request on stdout")
    background_process: bool = Field(
        True,
        description="log audit segments and compute live drift in a helper process (its own "
        "GIL: requests never wait for that work); false: in threads of the server process",
    )
    keep_freed_memory_mb: int = Field(
        256,
        ge=0,
        description="glibc malloc keeps up to this much freed memory for the next batches "
        "(no fresh pages faulted in per batch); 0: glibc's defaults",
    )
    batching: BatchingSettings = BatchingSettings()
    requests: RequestSettings = RequestSettings()
    audit: AuditLogSettings = AuditLogSettings()
    drift: DriftWindowSettings = DriftWindowSettings()
    slo: SloSettings = SloSettings()
    faults: FaultSettings = FaultSettings()
    shadow: ShadowSettings = ShadowSettings()
    triggers: ServerTriggerSettings = ServerTriggerSettings()

    @model_validator(mode="after")
    def _shadow_ids(self) -> ServingSettings:
        if self.shadow.enabled and self.requests.max_id_length > SHADOW_MAX_ID:
            raise ValueError(
                f"requests.max_id_length: at most {SHADOW_MAX_ID} with shadow mode on (the "
                "shadow record's limit on prediction ids), or set shadow.enabled: false"
            )
        return self

    def resolved_model_uri(self, registered_model: str, alias: str) -> str:
        return self.model_uri or f"models:/{registered_model}@{alias}"
