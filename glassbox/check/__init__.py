"""Ad-hoc checks of one data set against another: drift, quality, performance, alerts.

``glassbox monitor --reference ref.csv --current cur.parquet --out DIR`` is this package::

    options = MonitorOptions.create(roles=Roles(target="repaid", proba="y_pred_proba"))
    report = run_monitor("ref.csv", "cur.parquet", "out", options)   # writes out/monitor.json
    report.flagged_features, report.alerts, report.document["performance"]

``check(reference_df, current_df, options)`` runs the same checks on frames in process. Drift
and quality use every row; the Evidently report (``options.report``) is made from at most
``options.evidently_rows`` rows per side. Alerts are listed, never sent. Unusable inputs (an
unreadable file, no common columns, no rows, a role column that is not there) raise a
``CheckError`` subclass with one line naming the file and column; data problems are findings.
See ``docs/monitor.md`` for ``monitor.json`` field by field.
"""

from glassbox.check._errors import CheckConfigError, CheckError, CheckInputError
from glassbox.check._options import DEFAULT_EVIDENTLY_ROWS, MonitorOptions, Roles
from glassbox.check._run import MONITOR_JSON, REPORT_VERSION, MonitorReport, check, run_monitor

__all__ = [
    "DEFAULT_EVIDENTLY_ROWS",
    "MONITOR_JSON",
    "REPORT_VERSION",
    "CheckConfigError",
    "CheckError",
    "CheckInputError",
    "MonitorOptions",
    "MonitorReport",
    "Roles",
    "check",
    "run_monitor",
]
