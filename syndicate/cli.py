"""The ``syndicate`` command, which is also the Flask CLI (``flask --app wsgi ...``).

Bad input: one line naming what is wrong, exit code 2, nothing half-written.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import IO, Any, ParamSpec, TypeVar

import click
from flask import Flask
from flask.cli import AppGroup, FlaskGroup, with_appcontext

from syndicate import demo
from syndicate.exceptions import ConfigError, InvalidInput, SyndicateError
from syndicate.newsroom.service import ImportReport
from syndicate.services import services
from syndicate.store import tokens

P = ParamSpec("P")
R = TypeVar("R")
USAGE_ERROR = 2


class CliError(click.ClickException):
    exit_code = USAGE_ERROR

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


def reports_errors(command: Callable[P, R]) -> Callable[P, R]:
    """Turn our errors into a one-line message and exit code 2."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except InvalidInput as exc:
            if len(exc.errors) > 1 or any(k.startswith("line ") for k in exc.errors):
                for where, reason in exc.errors.items():
                    click.echo(f"{where}: {reason}", err=True)
                message = str(exc).split(":", 1)[0]
                raise CliError(message) from exc
            raise CliError(str(exc)) from exc
        except SyndicateError as exc:
            raise CliError(str(exc)) from exc

    return wrapper


# db ----------------------------------------------------------------------------------------

db = AppGroup("db", help="The store's schema.")


@db.command("upgrade")
@reports_errors
def db_upgrade() -> None:
    """Apply every pending migration."""
    store = services().store
    store.upgrade()
    click.echo(f"store at revision {store.current_revision()} ({store.url.get_backend_name()})")


# demo --------------------------------------------------------------------------------------

demo_group = AppGroup("demo", help="Demo content.")


def _report(report: ImportReport) -> str:
    return f"{report.created} created, {report.updated} updated, {report.unchanged} unchanged"


@demo_group.command("load")
@reports_errors
def demo_load() -> None:
    """Load the demo articles (idempotent); in development, the demo partners' sources and a
    `demo` operator for /admin."""
    svc = services()
    click.echo(f"demo articles: {_report(demo.load_demo(svc.newsroom))}")
    if not svc.settings.is_development:
        return
    added = demo.add_demo_partners(svc.aggregator, svc.settings.base_url)
    names = f" ({', '.join(added)})" if added else ""
    click.echo(f"demo partners: {len(added)} source(s) added{names}")
    password = demo.ensure_demo_operator(svc.operators, Path(svc.settings.instance_path))
    if password:
        click.echo(
            f"console: {svc.settings.base_url}/admin, operator {demo.DEMO_OPERATOR!r}, "
            f"password {password} (development only)"
        )


# articles ----------------------------------------------------------------------------------

articles = AppGroup("articles", help="The newsroom's articles.")


@articles.command("import")
@click.argument("source", type=click.File("r", encoding="utf-8"))
@click.option("--update", is_flag=True, help="Replace articles whose slug already exists.")
@reports_errors
def articles_import(source: IO[str], update: bool) -> None:
    """Import articles from a JSON Lines FILE (``-`` for stdin), all or nothing."""
    try:
        lines = source.read().splitlines()
    except UnicodeDecodeError as exc:
        raise CliError(f"{source.name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    report = services().newsroom.import_lines(lines, update_existing=update)
    click.echo(f"imported: {_report(report)}")


@articles.command("list")
@click.option("--category", help="Only this category.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.option("--public", is_flag=True, help="Only published articles whose time has come.")
@reports_errors
def articles_list(category: str | None, limit: int, public: bool) -> None:
    """List articles, newest first."""
    svc = services()
    listing = svc.newsroom.page(category, 1, limit, public_only=public)
    now = svc.clock()
    for article in listing.items:
        state = article.state(now).replace("published", "public")
        click.echo(
            f"{article.published_at:%Y-%m-%d %H:%M}  {state:<9}  "
            f"{','.join(article.categories):<20}  {article.slug}  {article.title}"
        )
    click.echo(f"{len(listing.items)} of {listing.total} article(s)", err=True)


# tokens ------------------------------------------------------------------------------------

tokens_group = AppGroup("tokens", help="API tokens of the newsroom.")


@tokens_group.command("create")
@click.argument("name")
@reports_errors
def tokens_create(name: str) -> None:
    """Create a token NAME; the token is printed once, alone on the last line."""
    name = name.strip()
    if not name or len(name) > 100:
        raise CliError("NAME must be 1 to 100 characters")
    svc = services()
    with svc.store.begin() as connection:
        token, secret = tokens.create(connection, name, svc.clock())
    click.echo(f"token {token.id} ({token.name}) created; it will not be shown again:", err=True)
    click.echo(secret)


@tokens_group.command("list")
@reports_errors
def tokens_list() -> None:
    """List tokens (never their secrets)."""
    with services().store.connect() as connection:
        for token in tokens.all_tokens(connection):
            state = f"revoked {token.revoked_at:%Y-%m-%d}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            click.echo(f"{token.id:>4}  {token.name:<20}  {state:<18}  last used {used}")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@reports_errors
def tokens_revoke(token_id: int) -> None:
    """Revoke the token TOKEN_ID."""
    svc = services()
    with svc.store.begin() as connection:
        if not tokens.revoke(connection, token_id, svc.clock()):
            raise CliError(f"no active token with id {token_id}")
    click.echo(f"token {token_id} revoked")


# serve -------------------------------------------------------------------------------------


@click.command("serve")
@with_appcontext
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
def serve(host: str, port: int) -> None:
    """Serve the site with a threaded development server (production: gunicorn, see README)."""
    from flask import current_app
    from werkzeug.serving import run_simple

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"serving on http://{host}:{port}", err=True)
    run_simple(host, port, app, threaded=True, use_reloader=False, use_debugger=False)


COMMANDS = (db, demo_group, articles, tokens_group, serve)


def init_app(app: Flask) -> None:
    from syndicate import cli_operators, cli_related, cli_sources

    for command in (
        *COMMANDS,
        *cli_sources.COMMANDS,
        *cli_operators.COMMANDS,
        *cli_related.COMMANDS,
    ):
        app.cli.add_command(command)


def _create_app() -> Flask:
    from syndicate.app import create_app

    return create_app()


cli = FlaskGroup(
    name="syndicate",
    create_app=_create_app,
    add_default_commands=False,
    add_version_option=False,
    load_dotenv=False,
    help="syndicate: articles in, feeds out. Settings come from SYNDICATE_* variables.",
)


def main() -> None:
    try:
        cli.main(prog_name="syndicate")
    except ConfigError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(USAGE_ERROR)
