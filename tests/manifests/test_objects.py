"""validate_k8s_object: built-in kinds against the upstream Kubernetes schemas, custom resources
against their CRDs, both strict; metadata as the API server checks it; versions and sources."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from glassbox.manifests import (
    CRD_PATH_ENV,
    DEFAULT_KUBERNETES_VERSION,
    LintError,
    crd_sources,
    kubernetes_versions,
    lint_paths,
    validate_k8s_object,
)

from ._corpus import DATA, REPO, assert_reports_exactly_its_defect

OBJECTS = DATA / "objects"
GOOD = OBJECTS / "good.yaml"
BROKEN = sorted((OBJECTS / "broken").glob("*.yaml"))
NEWEST = kubernetes_versions()[-1]


def good_objects() -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(GOOD.read_text(encoding="utf-8")) if d]


def good(kind: str) -> dict[str, Any]:
    """A fresh copy of the good corpus' object of ``kind``."""
    (found,) = [d for d in good_objects() if d["kind"] == kind]
    return copy.deepcopy(found)


@pytest.mark.parametrize("file", BROKEN, ids=lambda p: p.stem)
def test_broken_object_reports_exactly_its_defect(file: Path) -> None:
    assert_reports_exactly_its_defect(file, lint_paths([file]))


@pytest.mark.parametrize("version", [DEFAULT_KUBERNETES_VERSION, NEWEST])
def test_good_objects_of_every_deployed_kind_pass_on_the_oldest_and_newest_release(
    version: str,
) -> None:
    objects = good_objects()
    kinds = Counter(d["kind"] for d in objects)
    assert set(kinds) >= {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ServiceMonitor",
        "PrometheusRule",
        "Rollout",
        "AnalysisTemplate",
    }
    for obj in objects:
        assert validate_k8s_object(obj, kubernetes_version=version) == [], obj["kind"]


def test_unknown_keys_are_reported_at_every_depth_with_their_paths() -> None:
    deployment = good("Deployment")
    deployment["spec"]["replicass"] = 2
    deployment["spec"]["template"]["spec"]["securityContext"]["runAsNonRot"] = True
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pth"] = (
        "/"
    )
    paths = {f.path: f.message for f in validate_k8s_object(deployment)}
    assert set(paths) == {
        "spec.replicass",
        "spec.template.spec.securityContext.runAsNonRot",
        "spec.template.spec.containers[0].readinessProbe.httpGet.pth",
    }
    assert "in DeploymentSpec (did you mean 'replicas'?)" in paths["spec.replicass"]


@pytest.mark.parametrize("value", [0, 1, "25%", "1"])
def test_int_or_string_fields_take_integers_and_strings(value: object) -> None:
    rollout = good("Rollout")
    rollout["spec"]["strategy"]["canary"]["maxSurge"] = value
    pdb = good("PodDisruptionBudget")
    pdb["spec"]["minAvailable"] = value
    service = good("Service")
    service["spec"]["ports"][0]["targetPort"] = value
    for obj in (rollout, pdb, service):
        assert validate_k8s_object(obj) == [], obj["kind"]


@pytest.mark.parametrize("value", [True, 2.5, [1], {"n": 1}])
def test_int_or_string_fields_refuse_other_types(value: object) -> None:
    rollout = good("Rollout")
    rollout["spec"]["strategy"]["canary"]["maxUnavailable"] = value
    (finding,) = validate_k8s_object(rollout)
    assert finding.path == "spec.strategy.canary.maxUnavailable"
    assert finding.message.startswith("expected integer or string, got ")


def test_quantities_take_strings_and_numbers_but_not_lists() -> None:
    deployment = good("Deployment")
    resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
    resources["limits"] = {"cpu": 1.5, "memory": "1Gi"}
    assert validate_k8s_object(deployment) == []
    resources["limits"]["cpu"] = ["1"]
    (finding,) = validate_k8s_object(deployment)
    assert finding.path == "spec.template.spec.containers[0].resources.limits.cpu"
    assert finding.message == 'expected string or number, got array ["1"]'


def test_the_target_release_decides_which_fields_exist() -> None:
    file = OBJECTS / "broken" / "job-field-newer-than-1-25.yaml"
    assert len(lint_paths([file])) == 1  # 1.25, the default
    assert lint_paths([file], kubernetes_version="1.30") == []
    assert lint_paths([file], kubernetes_version=f"v{NEWEST}.2") == []


@pytest.mark.parametrize(
    ("version", "message"),
    [("1.24", r"1\.24: no schemas installed"), ("latest", "expected MAJOR.MINOR")],
)
def test_a_release_without_schemas_is_a_lint_error(version: str, message: str) -> None:
    with pytest.raises(LintError, match=message):
        validate_k8s_object(good("Service"), kubernetes_version=version)


def test_a_crd_pod_template_is_held_to_the_kubernetes_schema() -> None:
    """The Rollout CRD leaves resources and volumes free-form; Kubernetes' PodTemplateSpec does
    not, and a Deployment and a Rollout with the same pod template get the same finding."""
    rollout = good("Rollout")
    deployment = good("Deployment")
    for obj in (rollout, deployment):
        pod = obj["spec"]["template"]["spec"]
        pod["volumes"][0]["configMap"] = {"nmae": "x"}
        pod["containers"][0]["resources"]["requests"]["cpu"] = {"m": 250}
    findings = [validate_k8s_object(obj) for obj in (rollout, deployment)]
    assert [[(f.path, f.message) for f in found] for found in findings] == [
        [
            (
                "spec.template.spec.containers[0].resources.requests.cpu",
                'expected string or number, got object {"m": 250}',
            ),
            (
                "spec.template.spec.volumes[0].configMap.nmae",
                "unknown field 'nmae' in ConfigMapVolumeSource (did you mean 'name'?)",
            ),
        ]
    ] * 2


def test_custom_resources_need_their_spec_and_known_api_version() -> None:
    monitor = good("ServiceMonitor")
    del monitor["spec"]
    (finding,) = validate_k8s_object(monitor)
    assert (finding.path, finding.message) == ("", "missing required field 'spec'")
    rule = good("PrometheusRule")
    rule["apiVersion"] = "monitoring.coreos.com/v1beta1"
    (finding,) = validate_k8s_object(rule)
    assert finding.message == (
        "PrometheusRule is not served as 'monitoring.coreos.com/v1beta1' "
        "(expected apiVersion monitoring.coreos.com/v1)"
    )


def test_labels_and_annotations_keys_follow_the_api_server_rules() -> None:
    deployment = good("Deployment")
    deployment["metadata"]["labels"] = {
        "example.com/team": "ml",
        "app.kubernetes.io/version": "1.0-rc_1",
        "empty": "",
        "Bad_Prefix/x": "ok",
        "too-long": "v" * 64,
    }
    deployment["metadata"]["annotations"] = {"/no-prefix": "anything goes here ✓"}
    findings = {f.path: f.message for f in validate_k8s_object(deployment)}
    assert set(findings) == {
        "metadata.labels.Bad_Prefix/x",
        "metadata.labels.too-long",
        "metadata.annotations./no-prefix",
    }
    assert findings["metadata.labels.Bad_Prefix/x"].startswith("invalid label key 'Bad_Prefix/x'")


def test_a_document_without_api_version_or_kind_names_the_missing_field() -> None:
    findings = validate_k8s_object({"metadata": {"name": "x"}}, file="f.yaml")
    assert [(f.file, f.path, f.message) for f in findings] == [
        ("f.yaml", "apiVersion", "missing required field 'apiVersion'"),
        ("f.yaml", "kind", "missing required field 'kind'"),
    ]
    (finding,) = validate_k8s_object(["not", "a", "mapping"])
    assert finding.message == "a manifest must be a mapping"


WIDGET_CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {kind: Widget, plural: widgets}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              required: [size]
              properties:
                size: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}
                note: {type: string, nullable: true}
                extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
"""


def test_crds_from_the_configured_path_validate_their_custom_resources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "crds").mkdir()
    (tmp_path / "crds" / "widget.yaml").write_text(WIDGET_CRD)
    monkeypatch.setenv(CRD_PATH_ENV, str(tmp_path / "crds"))
    assert crd_sources() == ((tmp_path / "crds").resolve(),)
    widget = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w"},
        "spec": {"size": "10%", "note": None, "extra": {"anything": [1, {"goes": True}]}},
    }
    assert validate_k8s_object(widget) == []
    widget["spec"] = {"size": 1.5, "colour": "red"}
    findings = {f.path: f.message for f in validate_k8s_object(widget)}
    assert findings == {
        "spec.size": "expected integer or string, got number 1.5",
        "spec.colour": "unknown field 'colour' in Widget.spec (known fields: extra, note, size)",
    }
    # Only the configured CRDs are loaded: Argo Rollouts' are not among them now.
    (finding,) = validate_k8s_object(good("Rollout"))
    assert finding.message.startswith("no schema for argoproj.io/v1alpha1 Rollout")


def test_a_configured_crd_path_that_does_not_exist_is_a_lint_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CRD_PATH_ENV, str(tmp_path / "nope"))
    with pytest.raises(LintError, match=rf"{CRD_PATH_ENV}: no such file or directory: .*nope"):
        validate_k8s_object(good("ServiceMonitor"))


def test_without_kubernetes_validate_the_error_names_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "kubernetes_validate", None)
    with pytest.raises(LintError, match="needs the kubernetes-validate package"):
        validate_k8s_object(good("Service"))


def test_glassbox_lint_checks_the_repository_k8s_tree_by_default() -> None:
    """`just check` runs `glassbox lint`: every object under k8s/ (base, overlays' own files,
    PrometheusRule, compiled workflows) passes; a broken file fails with one line per finding."""
    glassbox = Path(sys.executable).parent / "glassbox"
    ok = subprocess.run(
        [str(glassbox), "lint"], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().splitlines()[-1] == "0 error(s), 0 warning(s)"
    broken = OBJECTS / "broken" / "rollout-misspelt-step.yaml"
    bad = subprocess.run(
        [str(glassbox), "lint", "--kubernetes-version", NEWEST, str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert bad.returncode == 1
    assert bad.stdout.splitlines() == [
        f"{broken}: Rollout/glassbox-serve: spec.strategy.canary.steps[0].setWeigth: unknown "
        "field 'setWeigth' in Rollout.spec.strategy.canary.steps (did you mean 'setWeight'?)",
        "1 error(s), 0 warning(s)",
    ]
