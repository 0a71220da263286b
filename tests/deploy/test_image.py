"""The Dockerfile builds the image the compiled workflows and k8s/base expect.

No Docker daemon is needed: the instructions are parsed and checked against what the pods do
(command, user, working directory, environment), and the build context is evaluated with
Docker's .dockerignore rules.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from glassbox._env import TELEMETRY_OFF
from tests.deploy.conftest import ROOT, Doc, step_containers

Instruction = tuple[str, str]


def _instructions() -> list[Instruction]:
    text = (ROOT / "Dockerfile").read_text()
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    out = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            out.append((keyword.upper(), " ".join(rest.split())))
    return out


def _final_stage() -> list[Instruction]:
    instructions = _instructions()
    last_from = max(i for i, (kw, _) in enumerate(instructions) if kw == "FROM")
    return instructions[last_from:]


def _env(stage: list[Instruction]) -> dict[str, str]:
    env = {}
    for keyword, rest in stage:
        if keyword == "ENV":
            env |= dict(re.findall(r"(\w+)=(\S+)", rest))
    return env


def test_multi_stage_build_installs_the_lock_with_hashes_and_bytecode() -> None:
    instructions = _instructions()
    stages = [rest for kw, rest in instructions if kw == "FROM"]
    assert stages == ["${BASE_IMAGE} AS builder", "${BASE_IMAGE} AS runtime"]
    # One base for both stages, the official Python image unless a build passes another
    # (`just image`: Debian bookworm from debootstrap, Debian's Python 3.11).
    assert instructions[0] == ("ARG", "BASE_IMAGE=python:3.11-slim-bookworm")
    assert ("ARG", "PYTHON=/usr/local/bin/python3") in instructions
    assert re.search(
        r'uv venv --python "\$\{PYTHON\}" /opt/venv', " ".join(r for _, r in instructions)
    )
    runs = " ".join(rest for kw, rest in instructions if kw == "RUN")
    assert re.search(r'pip install --no-cache-dir "uv==\$\{UV_VERSION\}"', runs)
    assert re.search(r"ARG UV_VERSION=\d+\.\d+\.\d+", " ".join(f"{k} {r}" for k, r in instructions))
    sync = re.search(r"uv pip sync [^&]*requirements\.lock", runs)
    assert sync, "the environment comes from requirements.lock"
    assert "--require-hashes" in sync.group(0)
    assert "--compile-bytecode" in sync.group(0)
    final = _final_stage()
    assert ("COPY", "--from=builder /opt/venv /opt/venv") in final
    assert any(kw == "RUN" and "compileall" in rest for kw, rest in final)


def test_runtime_runs_as_the_uid_of_the_pods_with_telemetry_off() -> None:
    final = _final_stage()
    users = [rest for kw, rest in final if kw == "USER"]
    assert users == ["10001:10001"]
    env = _env(final)
    for key, value in TELEMETRY_OFF.items():
        assert env.get(key) == value, key
    assert env["PYTHONDONTWRITEBYTECODE"] == "1"
    assert env["GIT_COMMIT"] == "${GIT_COMMIT}"
    assert env["GLASSBOX_IMAGE"] == "${GLASSBOX_IMAGE}"
    assert env["PATH"].startswith("/opt/venv/bin:")
    args = {rest.split("=")[0] for kw, rest in final if kw == "ARG"}
    assert {"GIT_COMMIT", "VERSION", "BUILD_DATE", "SOURCE_URL", "GLASSBOX_IMAGE"} <= args


def test_oci_labels_carry_the_commit_source_version_and_date() -> None:
    labels = dict(
        re.findall(r'([\w.]+)="([^"]*)"', " ".join(r for k, r in _final_stage() if k == "LABEL"))
    )
    assert labels["org.opencontainers.image.revision"] == "${GIT_COMMIT}"
    assert labels["org.opencontainers.image.source"] == "${SOURCE_URL}"
    assert labels["org.opencontainers.image.version"] == "${VERSION}"
    assert labels["org.opencontainers.image.created"] == "${BUILD_DATE}"


def test_entrypoint_runs_modules_like_the_compiled_step_commands(compiled: list[Doc]) -> None:
    final = _final_stage()
    entrypoint = json.loads(next(rest for kw, rest in final if kw == "ENTRYPOINT"))
    cmd = json.loads(next(rest for kw, rest in final if kw == "CMD"))
    assert entrypoint == ["python", "-m"]
    assert (ROOT / Path(*cmd[0].split("."))).with_suffix(".py").is_file()
    commands = [container["command"] for _, _, container in step_containers(compiled)]
    assert len(commands) >= 10
    for command in commands:
        assert command[:2] == entrypoint
        module = ROOT / Path(*command[2].split("."))
        assert module.with_suffix(".py").is_file(), f"{command[2]} is not in the image"


def test_workdir_holds_what_the_steps_read_relative_to_it() -> None:
    final = _final_stage()
    assert ("WORKDIR", "/app") in final
    copies = {rest.split()[-1].rstrip("/") or "." for kw, rest in final if kw == "COPY"}
    assert {"steps", "glassbox", "mlruns_config", "pipelines", "k8s/workflows", "."} <= copies
    copied_files = [rest for kw, rest in final if kw == "COPY" and "requirements.lock" in rest]
    assert copied_files == ["requirements.lock ./"]


def _pattern(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern as a regex (Go filepath.Match plus `**`, as Docker uses them)."""
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i : end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def _in_context(path: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Docker's rule: the last pattern matching the path or one of its parents decides."""
    parts = path.split("/")
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    included = True
    for exception, rx in rules:
        if any(rx.fullmatch(c) for c in candidates):
            included = exception
    return included


def _dockerignore() -> list[tuple[bool, re.Pattern[str]]]:
    rules = []
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            exception = line.startswith("!")
            rules.append((exception, _pattern(line.lstrip("!").strip("/"))))
    return rules


def test_build_context_has_the_code_and_settings_and_nothing_else() -> None:
    rules = _dockerignore()
    needed = [ROOT / "requirements.lock"]
    for tree in ("glassbox", "steps", "pipelines", "mlruns_config", "k8s/workflows"):
        needed += [
            p
            for p in (ROOT / tree).rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and p.name != "kustomization.yaml"
        ]
    assert len(needed) > 20
    for path in needed:
        assert _in_context(path.relative_to(ROOT).as_posix(), rules), path
    for path in (
        ".git/HEAD",
        ".venv/bin/python",
        ".glassbox/mlflow.db",
        ".env",
        "tests/conftest.py",
        "docs/deploy.md",
        "k8s/base/mlflow.yaml",
        "mlruns_config/kustomization.yaml",
        "glassbox/__pycache__/config.cpython-311.pyc",
        "steps/train.pyc",
    ):
        assert not _in_context(path, rules), path
