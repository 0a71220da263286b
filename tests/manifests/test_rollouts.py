"""``glassbox lint`` on Argo Rollouts documents: the shipped k8s/rollouts pass the strict CRD
schema (pod template and Job against the upstream Kubernetes schemas) and the controller's
checks; each broken variant fails with the JSON path of what is wrong."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from glassbox.cli import app
from glassbox.manifests import lint_paths
from glassbox.manifests._expr import ExprError, check_condition
from glassbox.manifests._rollouts import resolve_field
from tests.conftest import REPO

SHIPPED = REPO / "k8s" / "rollouts"
Docs = dict[str, Any]


def shipped() -> dict[str, Docs]:
    docs: dict[str, Docs] = {}
    for path in sorted(SHIPPED.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc and doc.get("apiVersion", "").startswith("argoproj.io"):
                docs[doc["metadata"]["name"]] = doc
    return docs


def lint(docs: dict[str, Docs], tmp_path: Path) -> list[Any]:
    path = tmp_path / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(list(docs.values()), sort_keys=False))
    return [f for f in lint_paths([path]) if f.severity == "error"]


def test_the_shipped_rollout_and_templates_pass(tmp_path: Path) -> None:
    docs = shipped()
    assert set(docs) == {"glassbox-serving", "glassbox-serving-slo", "glassbox-canary-analysis"}
    assert lint_paths([SHIPPED]) == []
    steps = docs["glassbox-serving"]["spec"]["strategy"]["canary"]["steps"]
    assert [s.get("setWeight") for s in steps if "setWeight" in s] == [10, 50, 100]
    assert [list(s) for s in steps].count(["analysis"]) == 2


def _step(docs: Docs, i: int) -> Any:
    return docs["glassbox-serving"]["spec"]["strategy"]["canary"]["steps"][i]


def _metric(docs: Docs, template: str, i: int) -> Any:
    return docs[template]["spec"]["metrics"][i]


def _container(docs: Docs) -> Any:
    return docs["glassbox-serving"]["spec"]["template"]["spec"]["containers"][0]


STEPS = "Rollout/glassbox-serving: spec.strategy.canary.steps"
SLO = "AnalysisTemplate/glassbox-serving-slo: spec.metrics"
JOB = "AnalysisTemplate/glassbox-canary-analysis: spec.metrics[0].provider.job.spec.template.spec"


BROKEN: dict[str, tuple[Callable[[Docs], None], str, str]] = {
    "unknown template": (
        lambda d: _step(d, 2)["analysis"]["templates"][0].update(templateName="glassbox-canary"),
        f"{STEPS}[2].analysis.templates[0].templateName",
        "AnalysisTemplate 'glassbox-canary' is not among the documents linted",
    ),
    "undeclared arg": (
        lambda d: _step(d, 5)["analysis"]["args"].append({"name": "treshold", "value": "1"}),
        f"{STEPS}[5].analysis.args[3].name",
        "argument 'treshold' is not declared by the template(s)",
    ),
    "required arg missing": (
        lambda d: _step(d, 2)["analysis"]["args"].pop(0),
        f"{STEPS}[2].analysis.args",
        "the template needs argument 'challenger-version' (it has no default)",
    ),
    "bad weight": (
        lambda d: _step(d, 3).update(setWeight=150),
        f"{STEPS}[3].setWeight",
        "setWeight 150 is outside 0..100",
    ),
    "misspelt key": (
        lambda d: _step(d, 0).update(setWeigth=_step(d, 0).pop("setWeight")),
        f"{STEPS}[0].setWeigth",
        "unknown field 'setWeigth' in Rollout.spec.strategy.canary.steps "
        "(did you mean 'setWeight'?)",
    ),
    "weights out of order": (
        lambda d: _step(d, 3).update(setWeight=5),
        f"{STEPS}[3].setWeight",
        "steps out of order: setWeight 5 after setWeight 10 (steps[0])",
    ),
    "analysis before any weight": (
        lambda d: d["glassbox-serving"]["spec"]["strategy"]["canary"]["steps"].insert(
            0, copy.deepcopy(_step(d, 2))
        ),
        f"{STEPS}[0].analysis",
        "steps out of order: an analysis before the first setWeight",
    ),
    "two step types": (
        lambda d: _step(d, 1).update(setWeight=20),
        f"{STEPS}[1]",
        "one type per step, this one has setWeight, pause",
    ),
    "bad pause": (
        lambda d: _step(d, 1).update(pause={"duration": "5 minutes"}),
        f"{STEPS}[1].pause.duration",
        "invalid duration '5 minutes'",
    ),
    "condition does not compile": (
        lambda d: _metric(d, "glassbox-serving-slo", 0).update(successCondition="result[0] <"),
        f"{SLO}[0].successCondition",
        "expression does not compile: unexpected token EOF",
    ),
    "unknown name in condition": (
        lambda d: _metric(d, "glassbox-serving-slo", 1).update(failureCondition="reslt[0] > 1"),
        f"{SLO}[1].failureCondition",
        "unknown name reslt",
    ),
    "promql does not parse": (
        lambda d: _metric(d, "glassbox-serving-slo", 1)["provider"]["prometheus"].update(
            query="histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m]))"
        ),
        f"{SLO}[1].provider.prometheus.query",
        "PromQL does not parse",
    ),
    "undeclared arg in query": (
        lambda d: _metric(d, "glassbox-serving-slo", 0)["provider"]["prometheus"].update(
            query='sum(rate(x{v="{{args.version}}"}[5m]))'
        ),
        f"{SLO}[0]",
        "'{{args.version}}' is not a declared argument",
    ),
    "count without interval": (
        lambda d: _metric(d, "glassbox-canary-analysis", 0).update(count=3),
        "AnalysisTemplate/glassbox-canary-analysis: spec.metrics[0].interval",
        "interval must be specified when count > 1",
    ),
    "two providers": (
        lambda d: _metric(d, "glassbox-serving-slo", 0)["provider"].update(web={"url": "http://x"}),
        f"{SLO}[0].provider",
        "multiple providers specified: prometheus, web",
    ),
    "job pod may restart": (
        lambda d: _metric(d, "glassbox-canary-analysis", 0)["provider"]["job"]["spec"]["template"][
            "spec"
        ].update(restartPolicy="Always"),
        f"{JOB}.restartPolicy",
        "a Job's pods need restartPolicy Never or OnFailure",
    ),
    "field path typo": (
        lambda d: _step(d, 2)["analysis"]["args"][0]["valueFrom"]["fieldRef"].update(
            fieldPath="spec.template.metadata.labels.model_version"
        ),
        f"{STEPS}[2].analysis.args[0].valueFrom.fieldRef.fieldPath",
        "does not resolve to a value on this Rollout",
    ),
    "selector mismatch": (
        lambda d: d["glassbox-serving"]["spec"]["selector"]["matchLabels"].update(
            {"app.kubernetes.io/name": "glassbox-server"}
        ),
        "Rollout/glassbox-serving: spec.selector.matchLabels.app.kubernetes.io/name",
        "selector does not match template labels",
    ),
    "pod template misspelt key": (
        lambda d: _container(d).update(readinesProbe=_container(d).pop("readinessProbe")),
        "Rollout/glassbox-serving: spec.template.spec.containers[0].readinesProbe",
        "unknown field 'readinesProbe'",
    ),
    "pod template wrong type": (
        lambda d: _container(d)["ports"][0].update(containerPort="http"),
        "Rollout/glassbox-serving: spec.template.spec.containers[0].ports[0].containerPort",
        "expected integer",
    ),
    "job spec misspelt key": (
        lambda d: _metric(d, "glassbox-canary-analysis", 0)["provider"]["job"]["spec"].update(
            backofLimit=0
        ),
        "AnalysisTemplate/glassbox-canary-analysis: spec.metrics[0].provider.job.spec.backofLimit",
        "unknown field 'backofLimit'",
    ),
}


@pytest.mark.parametrize("variant", sorted(BROKEN))
def test_broken_variant_fails_with_the_path_named(variant: str, tmp_path: Path) -> None:
    mutate, where, message = BROKEN[variant]
    docs = shipped()
    mutate(docs)
    errors = lint(docs, tmp_path)
    shown = "\n".join(str(f) for f in errors)
    assert any(f"{f.document}: {f.path}" == where and message in f.message for f in errors), (
        f"expected '{where}: ...{message}...' among:\n{shown}"
    )


def test_cli_prints_the_path_and_exits_1(tmp_path: Path) -> None:
    docs = shipped()
    _step(docs, 3).update(setWeight=150)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump_all(list(docs.values()), sort_keys=False))
    result = CliRunner().invoke(app, ["lint", str(path)])
    assert result.exit_code == 1
    assert f"{path}: {STEPS}[3].setWeight: setWeight 150 is outside 0..100" in result.output
    assert "1 error(s), 0 warning(s)" in result.output


def test_without_promtool_queries_are_reported_unchecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    findings = lint_paths([SHIPPED])
    assert {f.severity for f in findings} == {"warning"}
    assert all("PromQL not checked: promtool not found" in f.message for f in findings)
    assert len(findings) == 2


def test_field_refs_resolve_as_the_controller_resolves_them() -> None:
    rollout = shipped()["glassbox-serving"]
    assert resolve_field(rollout, "spec.template.metadata.labels.model-version") == "1"
    assert resolve_field(rollout, "metadata.name") == "glassbox-serving"
    assert resolve_field(rollout, "metadata.labels['app.kubernetes.io/part-of']") == "glassbox"
    assert resolve_field(rollout, "spec.strategy.canary.steps[0].setWeight") == "10"
    assert resolve_field(rollout, "spec.strategy.canary.steps") is None  # not a primitive
    assert resolve_field(rollout, "metadata.labels.app") is None  # k8s field-path syntax only


@pytest.mark.parametrize(
    "condition",
    [
        "result[0] <= 0.01",
        "len(result) > 0 && result[0] < 0.5",
        "isNaN(result[0]) || result[0] < 0.5",
        "all(result, {# < 0.5})",
        "result.p99 < 0.5 and not isNil(result)",
        "asFloat(result) >= 0.9",
        "result != nil ? result[0] < 1 : false",
        "result[0] not in [1, 2]",
        "let x = result[0]; x < 1",
        "1 < result[0] < 2",
        "filter(result, .a > 1) | len() == 0",
        "default(result, 0) < 1",
    ],
)
def test_conditions_argo_compiles_pass(condition: str) -> None:
    check_condition(condition)


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("result[0] <=", "unexpected token EOF"),
        ("result[0] <= 0.01)", r"unexpected token Bracket\(\'\)\'\)"),
        ("reslt[0] < 1", "unknown name reslt"),
        ("result[0] = 1", r"unexpected token Operator\('='\)"),
        ("foo(result)", "unknown name foo"),
        ("all(result)", "expected at least 2 arguments to all"),
        ("'abc", "literal not terminated"),
        ("result ?? 0 < 1", r"Operator \(<\) and coalesce expressions \(\?\?\) cannot be mixed"),
        ("", "empty expression"),
    ],
)
def test_conditions_that_do_not_compile_say_why(condition: str, message: str) -> None:
    with pytest.raises(ExprError, match=message):
        check_condition(condition)
