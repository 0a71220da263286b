"""State and data of the monitoring cron: the history run and watermark per registered model,
the production window since the watermark, and the model's reference (training history scored
by the model itself), all found through MLflow so the cron needs nothing but the tracking URI.
"""

from glassbox.cron._labels import LabelArrivals, record_label_arrivals
from glassbox.cron._reference import (
    Reference,
    load_reference,
    reference_of_model_run,
    reference_of_run,
)
from glassbox.cron._state import History, history
from glassbox.cron._window import Window, collect_window, partitions

__all__ = [
    "History",
    "LabelArrivals",
    "Reference",
    "Window",
    "collect_window",
    "history",
    "load_reference",
    "partitions",
    "record_label_arrivals",
    "reference_of_model_run",
    "reference_of_run",
]
