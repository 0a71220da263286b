"""A container's environment, built on this machine instead of by the kubelet.

Base: the runner's own environment, ``PATH`` prefixed with the directory of this interpreter (so
``python`` is the Python running Glassbox). Then the template's ``env``: literal values;
``secretKeyRef`` and ``configMapKeyRef`` read from the process variable of the same ``name``
(unset when absent and ``optional``, an error when absent otherwise); ``fieldRef`` synthesised.
``envFrom`` is ignored (the caller's ``extra_env`` stands in for the config map). Last, the
caller's ``extra_env`` and ``GLASSBOX_OUTPUTS_DIR``.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from glassbox.runner._errors import RunnerError
from glassbox.runner._substitution import param_string

__all__ = ["OUTPUTS_DIR_VARIABLE", "build_env"]

OUTPUTS_DIR_VARIABLE = "GLASSBOX_OUTPUTS_DIR"


def _field_value(path: str, name: str, pod: str, namespace: str, service_account: str) -> str:
    values = {
        "metadata.name": pod,
        "metadata.namespace": namespace,
        "spec.serviceAccountName": service_account,
        "spec.nodeName": socket.gethostname(),
        "status.podIP": "127.0.0.1",
        "status.hostIP": "127.0.0.1",
    }
    if path not in values:
        raise RunnerError(
            f"env {name}: fieldRef {path!r} is not available locally "
            f"(supported: {', '.join(sorted(values))})"
        )
    return values[path]


def _from_process(
    name: str, source: Mapping[str, Any], kind: str, available: Mapping[str, str]
) -> str | None:
    if name in available:
        return available[name]
    if source.get("optional"):
        return None
    raise RunnerError(
        f"env {name} comes from {kind} {source.get('name')!r} key {source.get('key')!r}, which "
        f"does not exist locally; set the environment variable {name} before running"
    )


def build_env(
    entries: Any,
    *,
    pod_name: str,
    namespace: str,
    service_account: str,
    extra_env: Mapping[str, str],
    outputs_dir: Path,
) -> dict[str, str]:
    """The full environment of one container attempt; raises ``RunnerError`` naming the variable."""
    env = dict(os.environ)
    available = {**env, **extra_env}
    interpreter_dir = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in (interpreter_dir, env.get("PATH", "")) if p)
    for entry in entries or []:
        name = str(entry.get("name") or "")
        if not name:
            raise RunnerError(f"env entry {entry!r} has no name")
        value_from = entry.get("valueFrom")
        if value_from is None:
            env[name] = param_string(entry.get("value", ""))
            continue
        value: str | None
        if value_from.get("secretKeyRef") is not None:
            value = _from_process(name, value_from["secretKeyRef"], "secret", available)
        elif value_from.get("configMapKeyRef") is not None:
            value = _from_process(name, value_from["configMapKeyRef"], "config map", available)
        elif value_from.get("fieldRef") is not None:
            path = str(value_from["fieldRef"].get("fieldPath") or "")
            value = _field_value(path, name, pod_name, namespace, service_account)
        else:
            kinds = ", ".join(sorted(value_from)) or "nothing"
            raise RunnerError(f"env {name}: valueFrom {kinds} is not supported by the local runner")
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    env.update(extra_env)
    env[OUTPUTS_DIR_VARIABLE] = str(outputs_dir)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env
