"""`glassbox init`: a user's own table → what each column is and why → a settings file that
validates → the exact command to run; bad inputs → one line naming the problem, exit 1."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from glassbox.cli import app
from glassbox.config import load_settings
from tests.conftest import REPO
from tests.init._data import own_table

GLASSBOX = str(Path(sys.executable).parent / "glassbox")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return own_table(2000, seed=3)


def _init(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["init", *map(str, args)])
    return result.exit_code, result.stdout, result.stderr


def _csv(tmp_path: Path, df: pd.DataFrame, name: str = "own.csv") -> Path:
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def test_init_infers_each_column_with_its_reason_and_writes_settings_that_validate(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    out = tmp_path / "own.yaml"
    code, stdout, stderr = _init(
        "--reference", _csv(tmp_path, table), "--target", "churned", "--out", out
    )
    assert code == 0, stderr
    assert (
        "region         5 distinct strings (centre, east, north, south, ...) → categorical"
        in stdout
    )
    assert "has_card       true/false values → categorical" in stdout
    assert "credit_score   int64, " in stdout and "→ numeric" in stdout
    assert "→ 7 numeric, 5 categorical" in stdout
    assert "id          none: each row's id is derived from its features" in stdout
    assert "timestamp   none: row order; the last 30% of the rows are held out" in stdout
    assert stdout.rstrip().splitlines()[-2].strip() == f"glassbox --config {out} run training"
    s = load_settings(out, environ={})
    assert s.data.id_column is None and s.data.timestamp_column is None
    assert s.data.target_column == "churned"
    assert set(s.data.numeric_features) == {
        "age",
        "income",
        "balance",
        "tenure_months",
        "num_products",
        "credit_score",
        "utilization",
    }
    assert set(s.data.categorical_features) == {"region", "plan", "channel", "has_card", "segment"}
    assert s.data.reference == str((tmp_path / "own.csv").resolve()) == s.data.production
    assert s.tracking.registered_model == "own" and s.tracking.experiment == "glassbox-own"
    shipped = load_settings(REPO / "mlruns_config/glassbox.yaml", environ={})
    assert s.gate == shipped.gate and s.model == shipped.model and s.pricing == shipped.pricing
    # 2000 rows → 600 held out: three NannyML reference chunks need a smaller chunk size
    assert s.monitoring.nannyml.chunk_size == 200
    assert s.monitoring.retrain == shipped.monitoring.retrain
    assert "monitoring.nannyml.chunk_size: 200" in stdout


def test_named_id_and_timestamp_are_roles_and_leftover_columns_say_why(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    rng = np.random.default_rng(0)
    df = table.assign(
        customer=np.arange(len(table)) + 10_000,
        account=np.arange(len(table)) * 7,
        signed_up=pd.date_range("2024-01-01", periods=len(table), freq="h").strftime(
            "%Y-%m-%d %H:%M"
        ),
        note=[f"free text {i}" for i in rng.permutation(len(table))],
        when=pd.date_range("2023-01-01", periods=len(table), freq="min").astype(str),
    )
    out = tmp_path / "roles.yaml"
    code, stdout, stderr = _init(
        "--reference",
        _csv(tmp_path, df),
        "--target",
        "churned",
        "--id",
        "customer",
        "--timestamp",
        "when",
        "--exclude",
        "segment",
        "--name",
        "churn-v2",
        "--out",
        out,
    )
    assert code == 0, stderr
    s = load_settings(out, environ={})
    assert (s.data.id_column, s.data.timestamp_column) == ("customer", "when")
    features = set(s.data.features)
    assert not features & {"customer", "when", "segment", "account", "signed_up", "note"}
    assert "account" in stdout and "one per row (an id?) → left out (--id account" in stdout
    assert "signed_up" in stdout and "timestamps → left out (--timestamp signed_up" in stdout
    assert "2,000 distinct strings in 2,000 rows (an identifier or free text?) → left out" in stdout
    assert "excluded    segment (--exclude)" in stdout
    assert s.tracking.registered_model == "churn-v2"


def test_production_without_labels_makes_the_reference_the_targets_file_and_says_so(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    production = _csv(tmp_path, table.drop(columns="churned").head(300), "new.csv")
    out = tmp_path / "p.yaml"
    code, stdout, _ = _init(
        "--reference",
        _csv(tmp_path, table),
        "--target",
        "churned",
        "--production",
        production,
        "--out",
        out,
    )
    assert code == 0
    s = load_settings(out, environ={})
    assert s.data.production == str(production.resolve())
    assert s.data.targets == s.data.reference
    assert "note:   targets: the production file has no 'churned' column" in stdout
    assert "scores the reference file itself" not in stdout


def _bad_inputs(tmp_path: Path, table: pd.DataFrame) -> dict[str, tuple[list[str], str]]:
    """name → (init arguments, the problem the one error line must name)."""
    three = table.assign(churned=np.arange(len(table)) % 3)
    missing = table.copy()
    missing.loc[5, "income"] = np.nan
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    dup = table.assign(cid=np.arange(len(table)) // 2)
    bad_ts = table.assign(when="2024-01-01")
    bad_ts.loc[3, "when"] = "soon"
    exists = tmp_path / "exists.yaml"
    exists.write_text("keep: me\n")
    ref = str(_csv(tmp_path, table, "ok.csv"))
    return {
        "unknown target": (
            ["--reference", ref, "--target", "churn"],
            "--target 'churn': no such column",
        ),
        "three classes": (
            ["--reference", str(_csv(tmp_path, three, "three.csv")), "--target", "churned"],
            "--target 'churned': 3 class(es) (0, 1, 2)",
        ),
        "constant column": (
            [
                "--reference",
                str(_csv(tmp_path, table.assign(flag="x"), "c.csv")),
                "--target",
                "churned",
            ],
            "column 'flag': every value is 'x'",
        ),
        "empty file": (["--reference", str(empty), "--target", "churned"], "empty file"),
        "header only": (
            ["--reference", str(_csv(tmp_path, table.head(0), "h.csv")), "--target", "churned"],
            "no rows (a header only)",
        ),
        "text labels": (
            [
                "--reference",
                str(
                    _csv(
                        tmp_path,
                        table.assign(churned=np.where(table.churned == 1, "yes", "no")),
                        "yn.csv",
                    )
                ),
                "--target",
                "churned",
            ],
            "labels 'no' and 'yes'; expected 0/1 or true/false",
        ),
        "one class": (
            [
                "--reference",
                str(_csv(tmp_path, table.assign(churned=1), "one.csv")),
                "--target",
                "churned",
            ],
            "1 class(es) (1)",
        ),
        "missing feature values": (
            ["--reference", str(_csv(tmp_path, missing, "m.csv")), "--target", "churned"],
            "column 'income': 1 missing value(s) (first at row 5)",
        ),
        "too few rows": (
            ["--reference", str(_csv(tmp_path, table.head(50), "s.csv")), "--target", "churned"],
            "50 rows; Glassbox needs at least 200",
        ),
        "sorted by the target": (
            [
                "--reference",
                str(_csv(tmp_path, table.sort_values("churned"), "o.csv")),
                "--target",
                "churned",
            ],
            "the held-out rows (the last 30% are held out) hold only one class",
        ),
        "duplicate ids": (
            [
                "--reference",
                str(_csv(tmp_path, dup, "d.csv")),
                "--target",
                "churned",
                "--id",
                "cid",
            ],
            "--id 'cid': 1000 id(s) appear more than once",
        ),
        "bad timestamp": (
            [
                "--reference",
                str(_csv(tmp_path, bad_ts, "t.csv")),
                "--target",
                "churned",
                "--timestamp",
                "when",
            ],
            "got 'soon' at row 3",
        ),
        "missing file": (
            ["--reference", str(tmp_path / "nope.csv"), "--target", "churned"],
            "file not found",
        ),
        "unsupported file": (
            ["--reference", str(tmp_path / "data.txt"), "--target", "churned"],
            "unsupported file type",
        ),
        "reserved column": (
            [
                "--reference",
                str(_csv(tmp_path, table.assign(row_id=1), "r.csv")),
                "--target",
                "churned",
            ],
            "column 'row_id'",
        ),
        "out exists": (
            ["--reference", ref, "--target", "churned", "--out", str(exists)],
            "pass --force",
        ),
    }


def test_each_bad_input_is_one_line_naming_the_problem_and_writes_nothing(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    for name, (args, problem) in _bad_inputs(tmp_path, table).items():
        out = [] if "--out" in args else ["--out", str(tmp_path / f"{name}.yaml")]
        code, stdout, stderr = _init(*args, *out)
        assert code == 1, f"{name}: exit {code}\n{stdout}{stderr}"
        lines = stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: "), f"{name}: {stderr!r}"
        assert problem in lines[0], f"{name}: {lines[0]!r}"
        assert not stdout, f"{name}: printed {stdout!r}"
        assert not (tmp_path / f"{name}.yaml").exists()
    assert (tmp_path / "exists.yaml").read_text() == "keep: me\n"


def test_the_real_command_exits_1_with_one_line_for_an_unknown_target(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    ref = _csv(tmp_path, table)
    r = subprocess.run(
        [
            GLASSBOX,
            "init",
            "--reference",
            str(ref),
            "--target",
            "label",
            "--out",
            str(tmp_path / "x.yaml"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert r.returncode == 1
    assert r.stderr.strip().splitlines() == [
        f"error: --target 'label': no such column in {ref} (columns: age, income, balance, "
        "tenure_months, num_products, credit_score, utilization, region, ... (13 in all))"
    ]
    assert "Traceback" not in r.stderr and not r.stdout


def test_a_numeric_target_makes_a_regression_model_with_a_scale_free_gate(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    spend = (table["income"] * 0.01 + table["balance"] * 0.2).round(2)
    own = table.drop(columns="churned").assign(spend=spend)
    out = tmp_path / "spend.yaml"
    code, stdout, stderr = _init(
        "--reference", _csv(tmp_path, own), "--target", "spend", "--out", out
    )
    assert code == 0, stderr
    assert f"  target      spend: numbers from {spend.min():g} to {spend.max():g}" in stdout
    assert "→ regression" in stdout
    assert (
        "gate:   held-out R² >= 0.5; max_rmse and max_mae: in the target's units, unset" in stdout
    )
    s = load_settings(out, environ={})
    assert s.model.task == "regression" and s.data.target_column == "spend"
    assert "spend" not in s.data.features


def test_a_few_integer_codes_are_classes_unless_the_task_says_regression(
    tmp_path: Path, table: pd.DataFrame
) -> None:
    grades = table.assign(churned=np.arange(len(table)) % 3)
    path = _csv(tmp_path, grades, "grades.csv")
    code, _, stderr = _init(
        "--reference", path, "--target", "churned", "--out", tmp_path / "a.yaml"
    )
    assert code == 1 and "--task regression predicts a number instead" in stderr
    code, _, stderr = _init(
        "--reference", path, "--target", "churned", "--task", "regression",
        "--out", tmp_path / "b.yaml",
    )  # fmt: skip
    assert code == 0, stderr
    assert load_settings(tmp_path / "b.yaml", environ={}).model.task == "regression"
    code, _, stderr = _init("--reference", path, "--target", "churned", "--task", "numbers")
    assert code == 1 and "--task 'numbers': expected auto, classification or regression" in stderr


def test_a_regression_target_must_be_numbers_that_vary(tmp_path: Path, table: pd.DataFrame) -> None:
    text = table.assign(churned=table["churned"].astype(str)).astype({"churned": object})
    text.loc[7, "churned"] = "about 3"
    cases = {
        "text": (text, "expected numbers for a regression target", "got 'about 3' at row 7"),
        "constant": (table.assign(churned=2.5), "every value is 2.5", "nothing to predict"),
    }
    for name, (frame, *problems) in cases.items():
        path = _csv(tmp_path, frame, f"{name}.csv")
        code, _, stderr = _init(
            "--reference", path, "--target", "churned", "--task", "regression",
            "--out", tmp_path / f"{name}.yaml",
        )  # fmt: skip
        assert code == 1, name
        assert all(p in stderr for p in problems), stderr
