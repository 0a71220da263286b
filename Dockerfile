# syntax=docker/dockerfile:1
# Glassbox image: every Argo step (`python -m steps.<name>`), the MLflow tracking server
# (`python -m glassbox.server serve`) and its bootstrap Job run from it.
#
#   docker build -t REGISTRY/glassbox-mlops:TAG \
#     --build-arg GIT_COMMIT="$(git rev-parse HEAD)" \
#     --build-arg BUILD_DATE="$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
#     --build-arg GLASSBOX_IMAGE=REGISTRY/glassbox-mlops:TAG .
#
# ENTRYPOINT is `python -m`, CMD a module: `docker run IMAGE steps.train --help`. In Kubernetes
# a container's `command` replaces ENTRYPOINT and `args` replaces CMD; the compiled workflows and
# k8s/base set the whole `command` (python -m ...), so the image works with or without them.

# The base: any Debian bookworm image with Python 3.11 and pip. BASE_IMAGE/PYTHON default to the
# official Python image; `just image` (scripts/image.sh) builds without any container registry
# on a base made with debootstrap: --build-arg BASE_IMAGE=localhost/glassbox-base:bookworm
# --build-arg PYTHON=/usr/bin/python3 (Debian's own Python 3.11).
# checkov:skip=CKV_DOCKER_7: the base is a build argument whose default pins python:3.11-slim-bookworm (just image passes a local debootstrap image)
ARG BASE_IMAGE=python:3.11-slim-bookworm

# ---- builder: the hash-checked environment, bytecode compiled --------------------------------
# Both stages on the same base (the venv's interpreter path must exist in the runtime).
FROM ${BASE_IMAGE} AS builder
ARG UV_VERSION=0.13.9
ARG PYTHON=/usr/local/bin/python3
# A CA bundle for a build behind a TLS-intercepting proxy (mounted by the build, never copied).
ARG CA_BUNDLE=""
# PIP_BREAK_SYSTEM_PACKAGES: a distribution's Python marks itself externally managed; pip only
# installs uv here, in a stage that is thrown away.
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_BREAK_SYSTEM_PACKAGES=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_LINK_MODE=copy \
    UV_NO_CACHE=1
RUN if [ -n "${CA_BUNDLE}" ]; then export PIP_CERT="${CA_BUNDLE}"; fi \
 && pip install --no-cache-dir "uv==${UV_VERSION}"
WORKDIR /app
COPY requirements.lock ./
# --require-hashes: every wheel must match the lock's sha256. --compile-bytecode: the runtime
# sets PYTHONDONTWRITEBYTECODE and a read-only root filesystem, so .pyc files are made now or
# never (each step is a fresh process; without them every start recompiles the imports).
RUN if [ -n "${CA_BUNDLE}" ]; then export SSL_CERT_FILE="${CA_BUNDLE}"; fi \
 && uv venv --python "${PYTHON}" /opt/venv \
 && uv pip sync --python /opt/venv/bin/python --require-hashes --compile-bytecode requirements.lock

# ---- runtime -------------------------------------------------------------------------------
FROM ${BASE_IMAGE} AS runtime
ARG GIT_COMMIT=unknown
ARG VERSION=0.1.0
ARG BUILD_DATE=unknown
ARG SOURCE_URL=unknown
ARG GLASSBOX_IMAGE=glassbox-mlops:latest

LABEL org.opencontainers.image.title="glassbox-mlops" \
      org.opencontainers.image.description="Glassbox pipeline steps and MLflow tracking server" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.revision="${GIT_COMMIT}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.created="${BUILD_DATE}" \
      org.opencontainers.image.source="${SOURCE_URL}"

# libgomp1: LightGBM (NannyML's performance estimation) links the system OpenMP runtime.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends libgomp1 \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 10001 glassbox \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /tmp \
      --shell /usr/sbin/nologin glassbox

COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
# What the steps read relative to the working directory: the code, the settings and the lock
# (its sha256 is tagged on every MLflow run). Not installed as a package: nothing unhashed is
# built, and `python -m` finds the modules here (PYTHONPATH covers other working directories).
COPY requirements.lock ./
COPY mlruns_config/ mlruns_config/
COPY glassbox/ glassbox/
COPY steps/ steps/
COPY pipelines/ pipelines/
# The compiled workflows: `python -m glassbox run training` runs them with the local executor
# (the embedded default) inside the image, as `just pipeline` does on a laptop.
COPY k8s/workflows/ k8s/workflows/
RUN /opt/venv/bin/python -m compileall -q -j 0 --invalidation-mode checked-hash \
      glassbox steps pipelines

# Telemetry off before any library is imported (glassbox forces the same on import); the commit
# and image reference are tagged on every MLflow run (glassbox.tracking).
ENV PATH=/opt/venv/bin:${PATH} \
    VIRTUAL_ENV=/opt/venv \
    PYTHONPATH=/app \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOME=/tmp \
    MLFLOW_DISABLE_TELEMETRY=true \
    DO_NOT_TRACK=true \
    NML_DISABLE_USAGE_LOGGING=1 \
    EVIDENTLY_DISABLE_TELEMETRY=1 \
    HF_HUB_OFFLINE=1 \
    MPLCONFIGDIR=/tmp/matplotlib \
    NUMBA_CACHE_DIR=/tmp/numba \
    GIT_COMMIT=${GIT_COMMIT} \
    GLASSBOX_IMAGE=${GLASSBOX_IMAGE}

USER 10001:10001
# A step image has nothing to probe between runs; the tracking server started from it is probed
# by Kubernetes on /health (k8s/base/mlflow.yaml), which ignores Docker's HEALTHCHECK anyway.
# checkov:skip=CKV_DOCKER_2: batch step image; the long-running server is probed by Kubernetes
HEALTHCHECK NONE
EXPOSE 5000
ENTRYPOINT ["python", "-m"]
CMD ["steps.extract", "--help"]
