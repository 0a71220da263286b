"""Loading manifests, WorkflowTemplate references and CronWorkflows."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from glassbox.runner import ManifestError, load_manifests, run_workflow

from ._runner import MANIFESTS, Runner

pytestmark = pytest.mark.timeout(120)


def test_a_directory_loads_every_argo_document_of_every_file() -> None:
    manifests = load_manifests(MANIFESTS)

    kinds = {(doc.kind, doc.name) for doc in manifests}
    assert ("WorkflowTemplate", "shared-steps") in kinds
    assert ("Workflow", "from-template-") in kinds
    assert ("CronWorkflow", "nightly") in kinds
    assert ("Workflow", "branches-unhandled") in kinds
    assert len(manifests) == 14
    assert manifests.find("CronWorkflow", "nightly") is not None
    assert manifests.select("from-template").name == "from-template-"


def test_non_argo_documents_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: glassbox-config}\n---\n"
        + (MANIFESTS / "timeout.yaml").read_text()
    )

    assert [doc.kind for doc in load_manifests(path)] == ["Workflow"]


def test_selecting_without_a_name_needs_a_single_runnable_document() -> None:
    manifests = load_manifests(MANIFESTS / "templates.yaml")

    with pytest.raises(ManifestError, match="several runnable documents are loaded"):
        manifests.select()
    assert load_manifests(MANIFESTS / "timeout.yaml").select().name == "slow"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("kind: [unclosed", r"bad\.yaml is not valid YAML"),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {}\nspec: {}\n",
            r"bad\.yaml#0: Workflow has neither metadata.name nor generateName",
        ),
        (
            "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nmetadata: {name: x}\nspec: []\n",
            r"bad\.yaml#0: spec: expected a mapping, got list",
        ),
    ],
)
def test_malformed_files_are_reported_with_their_location(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)

    with pytest.raises(ManifestError, match=message):
        load_manifests(path)


def test_missing_file_and_duplicate_names_are_errors(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"manifest file not found: .*nope\.yaml"):
        load_manifests(tmp_path / "nope.yaml")
    with pytest.raises(
        ManifestError, match=r"duplicate Workflow 'slow' \(also in .*timeout\.yaml#0\)"
    ):
        load_manifests([MANIFESTS / "timeout.yaml", MANIFESTS / "timeout.yaml"])


def test_workflow_referencing_a_workflow_template_overrides_its_arguments(runner: Runner) -> None:
    result = runner("templates.yaml", "from-template")

    assert re.fullmatch(r"from-template-[a-z0-9]{5}", result.name)
    assert result.parameters == {"greeting": "bonjour"}
    assert result.task("say").result == f"bonjour from {result.name}"


def test_caller_parameters_override_the_referencing_workflow(runner: Runner) -> None:
    result = runner("templates.yaml", "from-template", parameters={"greeting": "hola"})

    assert result.task("say").result == f"hola from {result.name}"


def test_a_workflow_template_runs_directly_with_its_defaults(runner: Runner) -> None:
    result = runner("templates.yaml", "shared-steps", workflow_name="manual-run")

    assert result.name == "manual-run"
    assert result.source == "WorkflowTemplate shared-steps"
    assert result.task("say").result == "hello from manual-run"


def test_cron_workflow_runs_its_workflow_spec_once(runner: Runner) -> None:
    before = int(datetime.now(UTC).timestamp())
    result = runner("templates.yaml", "nightly")

    match = re.fullmatch(r"nightly-(\d+)", result.name)
    assert match is not None
    assert int(match.group(1)) >= before
    announce = result.task("announce").result or ""
    scheduled = datetime.strptime(announce.split(" at ")[1].split(" as ")[0], "%Y-%m-%dT%H:%M:%SZ")
    assert abs(scheduled.replace(tzinfo=UTC).timestamp() - int(match.group(1))) < 2
    assert announce.startswith("nightly scheduled at ")
    assert announce.endswith(f" as {result.name}")
    assert result.source == "CronWorkflow nightly"


def test_workflow_template_reference_must_be_loaded(tmp_path: Path) -> None:
    only_workflow = tmp_path / "wf.yaml"
    text = (MANIFESTS / "templates.yaml").read_text().split("---\n")[1]
    only_workflow.write_text(text)

    with pytest.raises(
        ManifestError,
        match=r"references WorkflowTemplate 'shared-steps', "
        r"which is not among the loaded manifests",
    ):
        run_workflow(only_workflow, workdir=tmp_path, console=None)


def test_an_exact_name_wins_over_a_generate_name_prefix(tmp_path: Path) -> None:
    path = tmp_path / "pair.yaml"
    path.write_text(
        "apiVersion: argoproj.io/v1alpha1\nkind: WorkflowTemplate\n"
        "metadata: {name: training}\nspec: {entrypoint: main}\n---\n"
        "apiVersion: argoproj.io/v1alpha1\nkind: Workflow\n"
        "metadata: {generateName: training-}\nspec: {workflowTemplateRef: {name: training}}\n"
    )
    manifests = load_manifests(path)

    assert manifests.select("training").kind == "WorkflowTemplate"
    assert manifests.select("training-").kind == "Workflow"
    assert manifests.select().kind == "Workflow"
