"""lint_paths / lint_documents over the corpus and over files built in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from glassbox.manifests import (
    Finding,
    LintError,
    lint_document,
    lint_documents,
    lint_paths,
    validate_schema,
)

from ._corpus import (
    BROKEN,
    DATA,
    GOOD,
    GOOD_SETS,
    argo_documents,
    assert_reports_exactly_its_defect,
)

REQUIRED_DEFECTS = {
    "misspelt-key",
    "wrong-type",
    "missing-template",
    "depends-unknown-task",
    "dependency-cycle",
    "unknown-input-parameter",
    "unknown-output-reference",
    "item-outside-loop",
    "bad-concurrency-policy",
    "bad-cron-fields",
    "bad-timezone",
    "bad-metric-name",
    "missing-required-input",
    "bad-retry-limit",
    "bad-quantity",
    "unknown-workflow-template-ref",
}


@pytest.fixture(scope="module")
def good_findings() -> list[Finding]:
    """Each good set linted together, as ``glassbox lint`` would lint a directory."""
    return [finding for files in GOOD_SETS for finding in lint_paths(files)]


@pytest.mark.parametrize("file", BROKEN, ids=lambda p: p.stem)
def test_broken_manifest_reports_exactly_its_defect(file: Path) -> None:
    assert_reports_exactly_its_defect(file, lint_paths([file]))


def test_broken_corpus_covers_every_required_defect() -> None:
    assert len(BROKEN) >= 15
    assert {p.stem for p in BROKEN} >= REQUIRED_DEFECTS


@pytest.mark.parametrize("file", GOOD, ids=lambda p: p.stem)
def test_good_manifest_has_no_findings(file: Path, good_findings: list[Finding]) -> None:
    mine = [str(f) for f in good_findings if f.file == str(file)]
    assert mine == []


@pytest.mark.parametrize("file", GOOD, ids=lambda p: p.stem)
def test_good_documents_pass_schema_and_semantic_passes_alone(file: Path) -> None:
    docs = argo_documents(file)
    assert docs, f"{file} holds no Argo document"
    for doc in docs:
        assert validate_schema(doc) == []
        assert lint_document(doc) == []


def test_finding_names_file_document_path_and_problem() -> None:
    file = DATA / "broken" / "depends-unknown-task.yaml"
    (finding,) = lint_paths([file])
    assert str(finding) == (
        f"{file}: WorkflowTemplate/glassbox-broken: spec.templates[2].dag.tasks[1].depends: "
        "task 'evaluate' does not exist (tasks: extract, train)"
    )


def test_workflow_template_ref_resolves_only_when_the_template_is_linted_too() -> None:
    cron = DATA / "good" / "nightly-cron.yaml"
    alone = lint_paths([cron])
    assert [(f.path, f.severity) for f in alone] == [
        ("spec.workflowSpec.workflowTemplateRef.name", "error")
    ]
    assert (
        "WorkflowTemplate 'glassbox-training' is not among the linted documents" in alone[0].message
    )
    assert lint_paths([cron, DATA / "good" / "training-template.yaml"]) == []


def test_directory_is_searched_recursively_skipping_hidden_dirs_and_other_kinds(
    tmp_path: Path,
) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / ".cache").mkdir()
    shutil.copy(DATA / "good" / "drift-workflow.yaml", tmp_path / "nested" / "drift.yml")
    shutil.copy(DATA / "broken" / "bad-quantity.yaml", tmp_path / ".cache" / "ignored.yaml")
    (tmp_path / "kustomization.yaml").write_text("resources:\n  - nested/drift.yml\n")
    (tmp_path / "notes.txt").write_text("kind: Workflow\n")
    assert lint_paths([tmp_path]) == []

    shutil.copy(DATA / "broken" / "bad-quantity.yaml", tmp_path / "nested" / "quantity.yaml")
    findings = lint_paths([tmp_path])
    assert [f.file for f in findings] == [str(tmp_path / "nested" / "quantity.yaml")]


def test_template_ref_into_another_template_is_resolved(tmp_path: Path) -> None:
    bundle = (DATA / "good" / "scoring-bundle.yaml").read_text()
    training = DATA / "good" / "training-template.yaml"
    (alone,) = lint_paths([DATA / "good" / "scoring-bundle.yaml"])
    assert alone.path == "spec.templates[0].dag.tasks[0].templateRef.name"
    assert alone.message == (
        "WorkflowTemplate 'glassbox-training' is not among the linted documents "
        "(known: glassbox-scoring)"
    )
    broken = tmp_path / "scoring.yaml"
    broken.write_text(bundle.replace("template: extract", "template: extrakt"))
    findings = lint_paths([broken, training])
    assert [(f.path, f.message) for f in findings] == [
        (
            "spec.templates[0].dag.tasks[0].templateRef.template",
            "template 'extrakt' does not exist in WorkflowTemplate/glassbox-training "
            "(templates: evaluate, extract, main, notify, promote, train, validate)",
        )
    ]
    # The called template's inputs are checked through the reference too.
    broken.write_text(
        bundle.replace(
            "- name: dataset-uri\n                  value:",
            "- name: dataset\n                  value:",
        )
    )
    messages = [f.message for f in lint_paths([broken, training])]
    assert any("requires input parameter 'dataset-uri'" in m for m in messages), messages


def test_same_template_defined_twice_is_reported(tmp_path: Path) -> None:
    source = DATA / "good" / "training-template.yaml"
    copy = tmp_path / "copy.yaml"
    shutil.copy(source, copy)
    findings = lint_paths([source, copy])
    assert [(f.file, f.path) for f in findings] == [(str(copy), "metadata.name")]
    assert f"also in {source}" in findings[0].message


def test_missing_path_raises_the_library_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    with pytest.raises(LintError, match=r"nope\.yaml: no such file or directory"):
        lint_paths([missing])


def test_invalid_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: argoproj.io/v1alpha1\nkind: Workflow\nspec: [unclosed\n")
    (finding,) = lint_paths([bad])
    assert finding.file == str(bad)
    assert finding.message.startswith("invalid YAML: ")
    assert "line 4" in finding.message


def test_timestamps_stay_strings_as_the_api_server_reads_them(tmp_path: Path) -> None:
    text = (DATA / "good" / "drift-workflow.yaml").read_text()
    file = tmp_path / "stamped.yaml"
    file.write_text(
        text.replace(
            "  generateName:", "  creationTimestamp: 2024-06-01T00:00:00Z\n  generateName:"
        )
    )
    assert lint_paths([file]) == []


def test_lint_documents_accepts_documents_built_in_memory() -> None:
    from ._hera_pipeline import build

    docs = [("<hera>", workflow.to_dict()) for workflow in build()]
    assert lint_documents(docs) == []
    docs[0][1]["spec"]["templates"][2]["dag"]["tasks"][1]["depends"] = "extract && trian"
    (finding,) = lint_documents(docs)
    assert finding.file == "<hera>"
    assert finding.message == "task 'trian' does not exist (tasks: extract, train)"


def test_an_ignored_argument_is_a_warning_not_an_error(tmp_path: Path) -> None:
    text = (DATA / "good" / "drift-workflow.yaml").read_text()
    file = tmp_path / "extra.yaml"
    file.write_text(
        text.replace(
            "                - name: run\n",
            "                - name: rn\n                  value: x\n                - name: run\n",
        )
    )
    (finding,) = lint_paths([file])
    assert finding.severity == "warning"
    assert finding.path == "spec.templates[0].steps[0][0].arguments.parameters[0]"
    assert "template 'fetch' declares no input parameter 'rn'" in finding.message
    assert ": warning: " in str(finding)
