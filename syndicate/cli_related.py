"""``syndicate related rebuild``: every article's "More Stories", recomputed in this process."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from syndicate.cli import reports_errors
from syndicate.services import services

related = AppGroup("related", help='Related stories ("More Stories" and related feeds).')


@related.command("rebuild")
@reports_errors
def rebuild() -> None:
    """Index every article and partner story, and rewrite every article's related list."""
    report = services().related.rebuild(progress=lambda step: click.echo(step + "…", err=True))
    click.echo(report.summary())


COMMANDS = (related,)
