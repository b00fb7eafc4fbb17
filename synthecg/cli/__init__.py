"""The ``synthecg`` command line: thin wrappers over the Python API.

``synthecg ...`` and ``python -m synthecg ...`` are the same program. A SynthECGError prints
``error: ...`` and exits with status 2 (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import sys
import warnings

import click

from ..errors import SynthECGError
from .app import cli


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"warning: {message}\n"


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 2 user error, 3 evaluate --gate failed, 130 interrupted)."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    if not debug:  # library warnings (e.g. a corrected header gain) as one line each
        warnings.formatwarning = _one_line_warning
    try:
        status = cli.main(args=args, prog_name="synthecg", standalone_mode=False)
    except SynthECGError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("interrupted: run the same command again to resume", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("interrupted: run the same command again to resume", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Exit as exc:
        return exc.exit_code
    # click returns a command's Exit(code) instead of raising it when not standalone
    # (`evaluate --gate` exits 3); commands themselves return None.
    return status if isinstance(status, int) else 0
