"""``syndicate operators ...``: the accounts of the web console's operators."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup

from syndicate.cli import CliError, reports_errors
from syndicate.services import services

operators = AppGroup("operators", help="Operators of the web console at /admin.")


def _read_password() -> str:
    """Prompted twice on a terminal; otherwise the first line of standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise CliError("no password on standard input")
    return line.rstrip("\r\n")


@operators.command("create")
@click.argument("name")
@reports_errors
def operators_create(name: str) -> None:
    """Create the operator NAME; the password is prompted twice (or read from stdin)."""
    operator = services().operators.create(name, _read_password())
    click.echo(f"operator {operator.name} created; sign in at /admin/sign-in")


@operators.command("password")
@click.argument("name")
@reports_errors
def operators_password(name: str) -> None:
    """Set a new password for NAME (prompted twice, or read from stdin); ends their sessions."""
    operator = services().operators.set_password(name, _read_password())
    click.echo(f"password of {operator.name} changed; their sessions are closed")


@operators.command("list")
@reports_errors
def operators_list() -> None:
    """List operators and when they last signed in."""
    for operator in services().operators.all():
        last = (
            f"{operator.last_signed_in_at:%Y-%m-%d %H:%M}"
            if operator.last_signed_in_at
            else "never"
        )
        click.echo(
            f"{operator.name:<30}  created {operator.created_at:%Y-%m-%d}  last sign-in {last}"
        )


@operators.command("remove")
@click.argument("name")
@reports_errors
def operators_remove(name: str) -> None:
    """Remove the operator NAME (their sessions end at once)."""
    services().operators.remove(name)
    click.echo(f"operator {name.strip().lower()} removed")


COMMANDS = (operators,)
