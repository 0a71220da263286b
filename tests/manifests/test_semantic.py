"""lint_document: what Argo's controller rejects at submission but the schema lets through."""

from __future__ import annotations

from typing import Any

from glassbox.manifests import lint_document

from ._corpus import doc, workflow

#: A container template taking one input ``x``, appended to the templates of most tests.
LEAF = """
- name: leaf
  inputs:
    parameters:
      - name: x
  container:
    image: busybox
    args: ["{{inputs.parameters.x}}"]
"""


def found(
    manifest: dict[str, Any], catalog: dict[tuple[str, str], Any] | None = None
) -> list[tuple[str, str]]:
    """(path, message) of every error, in report order."""
    return [
        (f.path, f.message)
        for f in lint_document(manifest, catalog=catalog)
        if f.severity == "error"
    ]


def call(name: str, value: str, extra: str = "") -> str:
    """One task or step calling ``leaf`` with ``x: value`` (a YAML flow mapping)."""
    arguments = f'{{parameters: [{{name: x, value: "{value}"}}]}}'
    return f"{{name: {name}, template: leaf, arguments: {arguments}{extra}}}"


def test_steps_may_only_read_earlier_groups() -> None:
    steps = f"""
- name: main
  steps:
    - - {call("a", "1")}
      - {call("b", "{{steps.a.outputs.result}}")}
    - - {call("c", "{{steps.b.outputs.result}}")}
      - {call("d", "{{steps.z.outputs.result}}")}
"""
    assert found(workflow(steps + LEAF)) == [
        (
            "spec.templates[0].steps[0][1].arguments.parameters[0].value",
            "{{steps.a.outputs.result}}: step 'a' does not run in an earlier step group "
            "than step 'b'",
        ),
        (
            "spec.templates[0].steps[1][1].arguments.parameters[0].value",
            "{{steps.z.outputs.result}}: step 'z' does not exist (steps: a, b, c, d)",
        ),
    ]


def test_loop_items_follow_with_items_keys() -> None:
    maps = ", withItems: [{feature: a}, {feature: b, weight: 2}]"
    tasks = f"""
- name: main
  dag:
    tasks:
      - {call("maps", "{{item}}{{item.feature}}{{item.weight}}{{item.colour}}", maps)}
      - {call("scalars", "{{item}}{{item.key}}", ", withItems: [1, 2]")}
      - {call("param", "{{item.anything}}", ', withParam: "[1, 2]"')}
      - {call("sequence", "{{item}}", ', withSequence: {count: "3"}, withParam: "[1]"')}
"""
    path = "spec.templates[0].dag.tasks"
    assert found(workflow(tasks + LEAF)) == [
        (
            f"{path}[0].arguments.parameters[0].value",
            "{{item.colour}}: no withItems entry has key 'colour' (keys: feature, weight)",
        ),
        (
            f"{path}[1].arguments.parameters[0].value",
            "{{item.key}}: no withItems entry has key 'key' (keys: none)",
        ),
        (
            f"{path}[3]",
            "task 'sequence' sets withParam and withSequence: "
            "use only one of withItems, withParam, withSequence",
        ),
    ]


def test_task_outputs_by_template_type_and_fan_out() -> None:
    refs = (
        "{{tasks.fan.outputs.parameters}} {{tasks.inner.outputs.parameters}} "
        "{{tasks.inner.outputs.result}} {{tasks.fan.status}} {{tasks.fan.color}}"
    )
    tasks = f"""
- name: main
  dag:
    tasks:
      - {call("fan", "{{item}}", ', withParam: "[1]"')}
      - {{name: inner, template: inner}}
      - {call("use", refs, ", depends: fan && inner")}
- name: inner
  dag:
    tasks:
      - {call("only", "1")}
- name: stray
  container:
    image: busybox
    args: ["{{{{tasks.fan.outputs.result}}}}"]
"""
    path = "spec.templates[0].dag.tasks[2].arguments.parameters[0].value"
    assert found(workflow(tasks + LEAF)) == [
        (path, "{{tasks.inner.outputs.parameters}}: name the output: outputs.parameters.<name>"),
        (
            path,
            "{{tasks.inner.outputs.result}}: template 'inner' is a dag template "
            "and has no outputs.result",
        ),
        (
            path,
            "{{tasks.fan.color}}: unknown task attribute 'color' (expected "
            "outputs.parameters.<name>, outputs.artifacts.<name>, outputs.result, exitCode, "
            "finishedAt, hostNodeName, id, ip, startedAt, status)",
        ),
        (
            "spec.templates[2].container.args[0]",
            "{{tasks.fan.outputs.result}}: {{tasks.*}} can only be used inside a DAG template",
        ),
    ]


def test_dag_structure_rules() -> None:
    manifest = workflow(
        """
        - name: main
          dag:
            target: a ghost
            tasks:
              - {name: a, template: leaf}
              - {name: 2b, template: leaf, depends: a}
              - {name: c, template: leaf, dependencies: [a]}
              - {name: d, template: leaf, depends: a.AllFailed}
        - name: empty
          dag: {tasks: []}
        - name: leaf
          container: {image: busybox}
        """
    )
    tasks = "spec.templates[0].dag.tasks"
    assert found(manifest) == [
        (f"{tasks}[1].name", "task '2b' uses dependencies: its name must not begin with a digit"),
        (f"{tasks}[2].dependencies", "a DAG cannot mix depends and dependencies"),
        (
            f"{tasks}[3].depends",
            "a.AllFailed needs task 'a' to loop (withItems, withParam or withSequence)",
        ),
        ("spec.templates[0].dag.target", "task 'ghost' does not exist (tasks: 2b, a, c, d)"),
        ("spec.templates[1].dag.tasks", "DAG template 'empty' must have at least one task"),
    ]


def test_template_level_rules() -> None:
    manifest = workflow(
        """
        - name: main
          activeDeadlineSeconds: 60
          outputs: {parameters: [{name: out}]}
          dag: {tasks: [{name: a, template: leaf}]}
        - name: leaf
          parallelism: 2
          inputs:
            parameters:
              - {name: bad.name, value: "1"}
              - {name: x, value: "1"}
              - {name: x, value: "2"}
          outputs:
            parameters:
              - {name: y, valueFrom: {jsonPath: "{.a}"}}
              - {name: z, value: "1", valueFrom: {path: /z}}
          container: {image: busybox}
        - name: Bad_Name
          suspend: {}
        - container: {image: busybox}
        """
    )
    leaf = "spec.templates[1]"
    assert found(manifest) == [
        (
            "spec.templates[2].name",
            "template name 'Bad_Name' is invalid (expected [a-zA-Z0-9][-a-zA-Z0-9]*, max 128)",
        ),
        ("spec.templates[3].name", "every template needs a name"),
        (
            "spec.templates[0].outputs.parameters[0]",
            "output parameter 'out' needs a value or a valueFrom",
        ),
        (
            "spec.templates[0].activeDeadlineSeconds",
            "only valid on leaf templates, not on a dag template",
        ),
        (
            f"{leaf}.inputs.parameters[0].name",
            "parameter name 'bad.name' is invalid (expected [-a-zA-Z0-9_]+, max 128)",
        ),
        (
            f"{leaf}.inputs.parameters[2].name",
            f"parameter name 'x' is not unique (also at {leaf}.inputs.parameters[1])",
        ),
        (
            f"{leaf}.outputs.parameters[0].valueFrom",
            "output parameter 'y' of a container template needs valueFrom.path",
        ),
        (f"{leaf}.outputs.parameters[1]", "output parameter 'z' sets both value and valueFrom"),
        (
            f"{leaf}.parallelism",
            "only valid on dag and steps templates, not on a container template",
        ),
    ]


def test_entrypoint_inputs_come_from_spec_arguments() -> None:
    templates = """
        - name: main
          inputs:
            parameters:
              - {name: x}
              - {name: mode, value: fixed}
              - {name: level, default: "1", enum: ["1", "2"]}
          container: {image: busybox}
        """
    assert found(workflow(templates)) == [
        (
            "spec.arguments",
            "template 'main' requires input parameter 'x', "
            "which spec.arguments does not pass in arguments.parameters",
        ),
    ]
    supplied = 'arguments: {parameters: [{name: x, value: "1"}, {name: level, value: "3"}]}\n'
    assert found(workflow(templates, extra=supplied)) == [
        (
            "spec.arguments.parameters[1].value",
            "'3' is not one of the values input 'level' of template 'main' allows (1, 2)",
        ),
    ]
    # A WorkflowTemplate's entrypoint inputs are supplied by whoever submits it.
    assert found(workflow(templates, kind="WorkflowTemplate")) == []


def test_workflow_needs_an_entrypoint_and_valid_exit_handlers() -> None:
    manifest = workflow(
        "- {name: main, container: {image: busybox}}\n",
        extra="onExit: cleanup\nhooks: {running: {template: main}}\n",
    )
    del manifest["spec"]["entrypoint"]
    assert found(manifest) == [
        ("spec.entrypoint", "required: name the template to start (templates: main)"),
        ("spec.onExit", "template 'cleanup' does not exist (templates: main)"),
        ("spec.hooks.running", "hook 'running' needs an expression (only 'exit' may omit it)"),
    ]


def test_workflow_template_ref_against_the_catalog() -> None:
    target = workflow(
        """
        - name: main
          inputs: {parameters: [{name: dataset}]}
          container:
            image: busybox
            args: ["{{inputs.parameters.dataset}}", "{{workflow.parameters.seed}}"]
        """,
        extra='arguments: {parameters: [{name: seed, value: "1"}]}\n',
        kind="WorkflowTemplate",
    )
    catalog = {("WorkflowTemplate", "test"): target}
    submit = doc(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: Workflow
        metadata: {generateName: run-}
        spec:
          workflowTemplateRef: {name: test}
          podMetadata:
            annotations:
              seed: "{{workflow.parameters.seed}}"
              other: "{{workflow.parameters.other}}"
        """
    )
    assert found(submit, catalog) == [
        (
            "spec.arguments",
            "template 'main' requires input parameter 'dataset', "
            "which spec.arguments does not pass in arguments.parameters",
        ),
        (
            "spec.podMetadata.annotations.other",
            "{{workflow.parameters.other}}: workflow parameter 'other' is not declared in "
            "spec.arguments.parameters (declared: seed)",
        ),
    ]
    submit["spec"]["arguments"] = {
        "parameters": [{"name": "dataset", "value": "s3://x"}, {"name": "other", "value": "y"}]
    }
    assert found(submit, catalog) == []
    submit["spec"]["entrypoint"] = "mian"
    submit["spec"]["templates"] = [{"name": "extra", "container": {"image": "busybox"}}]
    assert found(submit, catalog) == [
        ("spec.templates", "a workflow that sets workflowTemplateRef must not define templates"),
        (
            "spec.entrypoint",
            "template 'mian' does not exist in WorkflowTemplate/test (templates: main)",
        ),
    ]
    # Without a catalog only the reference's shape can be checked.
    assert found(submit) == [
        ("spec.templates", "a workflow that sets workflowTemplateRef must not define templates")
    ]


def test_cron_workflow_rules() -> None:
    manifest = doc(
        """
        apiVersion: argoproj.io/v1alpha1
        kind: CronWorkflow
        metadata: {name: a-very-long-cron-workflow-name-that-will-not-fit-in-labels}
        spec:
          schedule: "0 3 * * *"
          schedules: ["@daily"]
          startingDeadlineSeconds: -1
          workflowSpec:
            entrypoint: main
            templates: [{name: main, container: {image: busybox}}]
        """
    )
    assert found(manifest) == [
        ("metadata.name", "name is 58 characters long; a CronWorkflow allows at most 52"),
        ("spec.schedule", "set either schedule or schedules, not both"),
        ("spec.startingDeadlineSeconds", "must not be negative"),
    ]
    del manifest["spec"]["schedules"]
    manifest["spec"]["schedule"] = "every day"
    assert (
        "spec.schedule",
        "'every day' has 2 fields; expected 5 (minute hour day-of-month month day-of-week) "
        "or a descriptor such as @hourly",
    ) in found(manifest)


def test_names_the_api_server_requires() -> None:
    manifest = workflow("- {name: main, container: {image: busybox}}\n", kind="WorkflowTemplate")
    del manifest["metadata"]["name"]
    assert found(manifest) == [("metadata", "a WorkflowTemplate needs metadata.name")]
    anonymous = workflow("- {name: main, container: {image: busybox}}\n")
    del anonymous["metadata"]["generateName"]
    assert found(anonymous) == [("metadata", "a Workflow needs metadata.name or generateName")]


def test_inline_templates_expressions_and_runtime_variables_are_accepted() -> None:
    manifest = workflow(
        """
        - name: main
          inputs: {parameters: [{name: p, value: "1"}]}
          dag:
            tasks:
              - name: inline
                inline:
                  inputs: {parameters: [{name: own}]}
                  container: {image: busybox, args: ["{{inputs.parameters.own}}"]}
                arguments:
                  parameters: [{name: own, value: "{{=sprig.trim(inputs.parameters.p)}}"}]
              - name: after
                template: leaf
                depends: inline
                when: "{{tasks.inline.status}} == Succeeded"
                arguments:
                  parameters:
                    - name: x
                      value: "{{workflow.name}}-{{pod.name}}-{{tasks.inline.exitCode}}"
        - name: leaf
          inputs: {parameters: [{name: x}]}
          container: {image: busybox, args: ["{{inputs.parameters.x}}", "{{retries}}"]}
        """
    )
    assert found(manifest) == []


def test_references_outside_templates_are_reported() -> None:
    manifest = workflow(
        "- {name: main, container: {image: busybox}}\n",
        extra='podMetadata: {labels: {a: "{{inputs.parameters.x}}", b: "{{item}}"}}\n',
    )
    assert found(manifest) == [
        (
            "spec.podMetadata.labels.a",
            "{{inputs.parameters.x}}: inputs are only defined inside a template",
        ),
        (
            "spec.podMetadata.labels.b",
            "{{item}}: only defined in a task or step with withItems, withParam or withSequence",
        ),
    ]


def test_task_arguments_need_values_and_one_kind_of_template() -> None:
    manifest = workflow(
        """
        - name: main
          dag:
            tasks:
              - {name: a, template: leaf, arguments: {parameters: [{name: x}]}}
              - {name: b}
              - name: c
                template: leaf
                templateRef: {name: other, template: leaf}
                arguments: {parameters: [{name: x, value: "1"}]}
        - name: leaf
          inputs: {parameters: [{name: x}]}
          container: {image: busybox}
        """
    )
    tasks = "spec.templates[0].dag.tasks"
    assert found(manifest) == [
        (f"{tasks}[1]", "task 'b' sets none: use exactly one of template, templateRef, inline"),
        (
            f"{tasks}[2]",
            "task 'c' sets template and templateRef: "
            "use exactly one of template, templateRef, inline",
        ),
        (
            f"{tasks}[0].arguments.parameters[0]",
            "argument 'x' of task 'a' needs a value or valueFrom",
        ),
    ]


def test_task_exit_handlers_and_hooks_name_existing_templates() -> None:
    manifest = workflow(
        """
        - name: main
          dag:
            tasks:
              - name: a
                template: leaf
                onExit: gone
                arguments: {parameters: [{name: x, value: "{{tasks.a.status}}"}]}
                hooks:
                  exit: {template: nope}
                  done: {template: leaf}
                  running:
                    template: leaf
                    expression: "tasks.a.status == 'Running'"
                    arguments: {parameters: [{name: x, value: "{{tasks.a.outputs.result}}"}]}
        - name: leaf
          inputs: {parameters: [{name: x, value: "{{tasks.a.status}}"}]}
          container: {image: busybox}
        """
    )
    task = "spec.templates[0].dag.tasks[0]"
    assert found(manifest) == [
        (f"{task}.onExit", "template 'gone' does not exist (templates: leaf, main)"),
        (f"{task}.hooks.exit.template", "template 'nope' does not exist (templates: leaf, main)"),
        (f"{task}.hooks.done", "hook 'done' needs an expression (only 'exit' may omit it)"),
        (
            f"{task}.arguments.parameters[0].value",
            "{{tasks.a.status}}: task 'a' is not a dependency of task 'a'; add it to depends",
        ),
        (
            "spec.templates[1].inputs.parameters[0].value",
            "{{tasks.a.status}}: {{tasks.*}} can only be used inside a DAG template",
        ),
    ]
