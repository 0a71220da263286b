# Glassbox task list: the README, CI and developers call these recipes and nothing else.
set shell := ["bash", "-euo", "pipefail", "-c"]
set export

MLFLOW_DISABLE_TELEMETRY := "true"
DO_NOT_TRACK := "true"
NML_DISABLE_USAGE_LOGGING := "1"
venv := ".venv"
py := venv / "bin/python"

# list recipes
default:
    @just --list

# create .venv and install the hash-pinned dev lock (runtime + test/lint tools; + this project, editable)
setup:
    test -x {{py}} || uv venv --python ">=3.11,<3.13" {{venv}}
    uv pip sync --python {{py}} --require-hashes --compile-bytecode requirements-dev.lock
    uv pip install --python {{py}} --no-deps -e .

# regenerate the hash-pinned locks from pyproject.toml (never uv.lock: it records addresses):
# requirements.lock is the runtime (what the image installs, whose digest every run records);
# requirements-dev.lock adds the test and lint tools on exactly the runtime's pins;
# build-constraints.txt pins (with hashes) the build backend `just build` uses.
lock:
    uv pip compile pyproject.toml --universal --generate-hashes -o requirements.lock
    uv pip compile pyproject.toml --extra dev --universal --generate-hashes -c requirements.lock -o requirements-dev.lock
    {{py}} -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['build-system']['requires'], sep='\n')" | uv pip compile - --universal --generate-hashes --python-version 3.11 -o build-constraints.txt

# a reproducible wheel: the committed tree of REF, build dependencies pinned with hashes by
# build-constraints.txt (from `just lock`), timestamps from the commit (SOURCE_DATE_EPOCH);
# two builds of the same commit have the same sha256
build out="dist" ref="HEAD":
    #!/usr/bin/env bash
    set -euo pipefail
    src="$(mktemp -d)"; trap 'rm -rf "$src"' EXIT
    git archive "{{ref}}" | tar -x -C "$src"
    export SOURCE_DATE_EPOCH="$(git log -1 --format=%ct "{{ref}}")"
    uv build --wheel --build-constraints build-constraints.txt --require-build-hashes --out-dir "{{out}}" "$src"
    sha256sum "{{out}}"/*.whl

# set up, then run the training pipeline end to end on the embedded default
pipeline *ARGS: setup
    {{venv}}/bin/glassbox run training {{ARGS}}

# run the monitoring cron once on the embedded default
monitor *ARGS: setup
    {{venv}}/bin/glassbox run monitoring {{ARGS}}

# serve the champion online on the embedded default (after `just pipeline`): glassbox serve
serve *ARGS: setup
    {{venv}}/bin/glassbox serve {{ARGS}}

# progressive delivery end to end with a real server (store: .glassbox-canary): a worse then a
# good challenger shadowed by glassbox serve on replayed traffic, analysed, rolled back / promoted
canary *ARGS: setup
    {{py}} scripts/canary.py {{ARGS}}

# open the MLflow UI on the embedded store
ui port="5000":
    {{venv}}/bin/glassbox ui --port {{port}}

# compile the Hera pipelines to k8s/workflows/
compile *ARGS:
    {{venv}}/bin/glassbox compile {{ARGS}}

# static checks: ruff, mypy, stale manifests, manifest lint
check:
    {{venv}}/bin/ruff check .
    {{venv}}/bin/ruff format --check .
    {{venv}}/bin/mypy
    {{venv}}/bin/glassbox lint
    {{venv}}/bin/glassbox compile --check

# set up, then run the test suite (what CI runs)
test *ARGS: setup
    {{venv}}/bin/pytest {{ARGS}}

# set up, then run the long end-to-end demonstrations kept out of the default suite
test-e2e *ARGS: setup
    {{venv}}/bin/pytest -m e2e {{ARGS}}

# benchmarks: pipeline wall time, step cold start, drift engine vs Evidently/NannyML/numpy,
# canary analysis over repeated trials (false rollbacks, detection), glassbox serve vs MLflow's
# scoring server, glassbox serve with the challenger in shadow vs without, the audit engine vs
# hashlib and predict_proba
bench *ARGS: setup
    {{py}} bench/pipeline.py {{ARGS}}
    {{py}} bench/drift.py {{ARGS}}
    {{py}} bench/monitor.py {{ARGS}}
    {{py}} bench/false_alarms.py --anchor-detection
    {{py}} bench/canary.py {{ARGS}}
    {{py}} bench/serve.py
    {{py}} bench/shadow.py
    {{py}} bench/audit.py

# benchmark the audit: build_audit and glassbox serve's hashing on 1M predictions, against
# hashlib on the same pre-encoded records and the model's predict_proba (one run)
bench-audit *ARGS: setup
    {{py}} bench/audit.py {{ARGS}}

# benchmark glassbox serve against MLflow's scoring server (same model, same load, one run)
bench-serve *ARGS: setup
    {{py}} bench/serve.py {{ARGS}}

# podman build on a debootstrap base (no registry), then the training pipeline inside it
image TAG="localhost/glassbox-mlops:dev":
    scripts/image.sh {{TAG}}
