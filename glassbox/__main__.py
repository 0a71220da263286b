"""``python -m glassbox``: the CLI, for images where the console script is not installed."""

from glassbox.cli import app

app(prog_name="glassbox")
