"""``glassbox init``: settings for your own data in one step.

Reads a CSV or Parquet file, checks the named target (two classes, 0/1 or true/false), id and
timestamp columns, infers every other column's kind with the data contract's dtype rules
(``glassbox.quality.guess_feature``), and writes a complete, validated settings file::

    from glassbox.init import InitRequest, plan, report_lines, shipped_defaults, write

    p = plan(InitRequest(reference=Path("loans.csv"), target="repaid"), shipped_defaults())
    write(p.settings, Path("glassbox-loans.yaml"), p.request.reference)
    print("\\n".join(report_lines(p, Path("glassbox-loans.yaml"))))

Bad inputs raise :class:`InitError` (a ``GlassboxError``) with one line naming the problem.
"""

from glassbox.init._plan import MIN_ROWS, InitPlan, InitRequest, model_name, plan
from glassbox.init._report import lines as report_lines
from glassbox.init._roles import InitError
from glassbox.init._settings import build_settings, render, shipped_defaults, write

__all__ = [
    "MIN_ROWS",
    "InitError",
    "InitPlan",
    "InitRequest",
    "build_settings",
    "model_name",
    "plan",
    "render",
    "report_lines",
    "shipped_defaults",
    "write",
]
