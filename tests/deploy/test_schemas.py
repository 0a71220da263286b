"""Every object the real kustomize renders from k8s/ passes strict schema validation
(glassbox.manifests.validate_k8s_object: the upstream Kubernetes schemas, the CRDs in shared/),
and a defect introduced through an overlay is caught in the rendered object, path named."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from glassbox.manifests import DEFAULT_KUBERNETES_VERSION, kubernetes_versions, validate_k8s_object
from tests.deploy._kustomize import build, kustomizations
from tests.deploy.conftest import K8S, ROOT, Doc

RELEASES = [DEFAULT_KUBERNETES_VERSION, kubernetes_versions()[-1]]


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Doc]]:
    """``kustomize build`` of every kustomization under k8s/ (base, overlays, prometheus...)."""
    return {str(d.relative_to(K8S)): build(d) for d in kustomizations(K8S)}


@pytest.mark.parametrize("version", RELEASES)
def test_every_rendered_object_passes_strict_validation(
    version: str, rendered: dict[str, list[Doc]]
) -> None:
    assert {"base", "overlays/dev", "overlays/prod"} <= set(rendered)
    counts: dict[str, Counter[str]] = {}
    for name, docs in rendered.items():
        findings = [
            str(finding)
            for doc in docs
            for finding in validate_k8s_object(
                doc, file=f"kustomize build {name}", kubernetes_version=version
            )
        ]
        assert findings == [], "\n".join(findings)
        counts[name] = Counter(doc["kind"] for doc in docs)
    print(f"\nKubernetes {version}: objects checked (kustomize build), 0 findings")
    for name, kinds in counts.items():
        listed = ", ".join(f"{kind} {n}" for kind, n in sorted(kinds.items()))
        print(f"  {name:<14} {sum(kinds.values()):>3} objects: {listed}")
    print(f"  {'total':<14} {sum(sum(k.values()) for k in counts.values()):>3} objects")
    assert all(
        sum(counts[name].values()) >= 20 for name in ("base", "overlays/dev", "overlays/prod")
    )


def _overlay_with(tmp_path: Path, overlay: str, **additions: object) -> Path:
    """A copy of k8s/ (and mlruns_config/, which the base includes) whose overlay kustomization
    gets ``additions`` appended to its lists (``patches``, ``labels``...)."""
    shutil.copytree(K8S, tmp_path / "k8s")
    shutil.copytree(ROOT / "mlruns_config", tmp_path / "mlruns_config")
    directory = tmp_path / "k8s" / "overlays" / overlay
    path = directory / "kustomization.yaml"
    kustomization = yaml.safe_load(path.read_text())
    for key, values in additions.items():
        kustomization[key] = [*kustomization.get(key, []), *values]  # type: ignore[misc]
    path.write_text(yaml.safe_dump(kustomization, sort_keys=False))
    return directory


def _patch(kind: str, name: str, api_version: str, spec: str) -> dict[str, str]:
    head = f"apiVersion: {api_version}\nkind: {kind}\nmetadata:\n  name: {name}\n"
    return {"patch": head + "  namespace: glassbox\n" + spec}


BROKEN = {
    "misspelt-replicas": (
        "prod",
        {"patches": [_patch("Deployment", "glassbox-mlflow", "apps/v1", "spec:\n  replica: 3\n")]},
        ("Deployment/glassbox-mlflow", "spec.replica", "did you mean 'replicas'?"),
    ),
    "policy-port-misspelt-protocol": (
        "dev",
        {
            "patches": [
                _patch(
                    "NetworkPolicy",
                    "glassbox-mlflow-ingress",
                    "networking.k8s.io/v1",
                    "spec:\n  ingress:\n    - ports:\n        - {protcol: TCP, port: 5000}\n",
                )
            ]
        },
        (
            "NetworkPolicy/glassbox-mlflow-ingress",
            "spec.ingress[0].ports[0].protcol",
            "unknown field 'protcol' in NetworkPolicyPort",
        ),
    ),
    "bootstrap-retries-as-a-string": (
        "prod",
        {
            "patches": [
                _patch(
                    "Job", "glassbox-mlflow-bootstrap", "batch/v1", "spec:\n  backoffLimit: six\n"
                )
            ]
        },
        (
            "Job/glassbox-mlflow-bootstrap",
            "spec.backoffLimit",
            'expected integer or null, got string "six"',
        ),
    ),
    "label-value-with-spaces": (
        "dev",
        {"labels": [{"pairs": {"team": "ML Platform"}}]},
        ("Namespace/glassbox", "metadata.labels.team", "invalid label value 'ML Platform'"),
    ),
}


# (A list where an int-or-string belongs never gets this far: kustomize's own merge refuses it.)
@pytest.mark.parametrize("variant", sorted(BROKEN))
def test_a_defect_introduced_by_an_overlay_is_rejected_in_the_rendered_object(
    variant: str, tmp_path: Path
) -> None:
    overlay, additions, (document, path, message) = BROKEN[variant]
    docs = build(_overlay_with(tmp_path, overlay, **additions))
    findings = [f for doc in docs for f in validate_k8s_object(doc, file=overlay)]
    assert findings, f"{variant}: kustomize rendered it and nothing was found"
    mine = [f for f in findings if f.document == document and f.path == path]
    assert mine, "\n".join(map(str, findings))
    assert message in mine[0].message
    assert mine[0].file == overlay
