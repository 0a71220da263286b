"""Glassbox: observable ML pipelines on Argo Workflows with a full MLflow glass-box record."""

from glassbox import _env as _env

__version__ = "0.1.0"

__all__ = ["__version__"]
