"""The ``sisterqa`` command line: the app's commands (``sisterqa.app.cli``) and the measuring ones,
``eval`` and ``bench`` (``sisterqa.eval.cli``). The console script and ``python -m sisterqa`` run this."""

from sisterqa.app.cli import main
from sisterqa.eval import cli as _measuring  # noqa: F401  (registers eval and bench on main)

__all__ = ["main"]
