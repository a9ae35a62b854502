"""``syndicate sources ...``, ``syndicate fetch`` and ``syndicate scheduler``."""

from __future__ import annotations

import logging
import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

import click
from flask.cli import AppGroup, with_appcontext

from syndicate.admin.format import every as interval_text
from syndicate.aggregate.scheduler import Scheduler
from syndicate.aggregate.service import FetchResult
from syndicate.cli import CliError, reports_errors
from syndicate.publish import publishing
from syndicate.services import services
from syndicate.types import Source

sources = AppGroup("sources", help="Partner sources (feeds polled by the scheduler).")


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment else "-"


def _state(source: Source) -> str:
    return "active" if source.enabled else "paused"


@sources.command("add")
@click.argument("url")
@click.option("--category", required=True, help="One of our categories (feeds/categories.toml).")
@click.option("--name", help="Shown name; default: the feed's title.")
@click.option("--every", help="Polling interval: 30m, 2h, 1d, or seconds.")
@reports_errors
def sources_add(url: str, category: str, name: str | None, every: str | None) -> None:
    """Add the feed at URL (a web page: its autodiscovered feed), after fetching it once."""
    payload: dict[str, Any] = {"url": url, "category": category}
    if name is not None:
        payload["name"] = name
    if every is not None:
        payload["interval"] = every
    added = services().aggregator.add(payload, origin="cli")
    source = added.source
    if added.discovered_from:
        click.echo(
            f'found the feed {source.url} through <link rel="alternate"> on {added.discovered_from}'
        )
    click.echo(
        f"added source {source.id}: {source.name} ({source.url}) in {source.category}, "
        f"every {interval_text(source.interval)}; {len(added.first_fetch.new_ids)} stories"
    )


@sources.command("list")
@reports_errors
def sources_list() -> None:
    """A table of the sources with their state."""
    listing = services().aggregator.all_sources()
    header = f"{'ID':>4}  {'STATE':<6}  {'CATEGORY':<10}  {'EVERY':>5}  {'LAST FETCH':<16}  "
    header += f"{'STATUS':<12}  {'ERR':>3}  {'STORIES':>7}  NAME / URL"
    click.echo(header)
    for source in listing:
        state = source.state
        status = state.last_outcome or "-"
        if state.last_status and state.last_outcome != "not_modified":
            status = f"{state.last_status} {status}"
        elif state.last_status == 304:
            status = "304"
        click.echo(
            f"{source.id:>4}  {_state(source):<6}  {source.category:<10}  "
            f"{interval_text(source.interval):>5}  {_when(state.last_fetched_at):<16}  "
            f"{status[:12]:<12}  "
            f"{state.error_count:>3}  {source.story_count:>7}  {source.name} <{source.url}>"
        )
        if state.paused_reason:
            click.echo(f"{'':>6}paused: {state.paused_reason}")
        elif state.last_error:
            click.echo(f"{'':>6}last error: {state.last_error}")
    click.echo(f"{len(listing)} source(s)", err=True)


@sources.command("remove")
@click.argument("source_id", type=int)
@reports_errors
def sources_remove(source_id: int) -> None:
    """Remove the source SOURCE_ID and its stories."""
    services().aggregator.remove(source_id)
    click.echo(f"source {source_id} removed")


@sources.command("pause")
@click.argument("source_id", type=int)
@reports_errors
def sources_pause(source_id: int) -> None:
    """Stop polling SOURCE_ID (its stories stay)."""
    source = services().aggregator.pause(source_id)
    click.echo(f"source {source.id} paused")


@sources.command("resume")
@click.argument("source_id", type=int)
@reports_errors
def sources_resume(source_id: int) -> None:
    """Poll SOURCE_ID again (its error count starts over)."""
    source = services().aggregator.resume(source_id)
    click.echo(f"source {source.id} resumed; next fetch {_when(source.state.next_fetch_at)}")


@sources.command("import")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@reports_errors
def sources_import(file: Path | None) -> None:
    """Import sources from an OPML FILE, all or nothing (default: apply feeds/sources.opml,
    which also pauses the sources it no longer lists)."""
    svc = services()
    declarative = file is None
    path = Path(svc.settings.sources_file) if file is None else file
    try:
        text = sys.stdin.buffer.read() if str(path) == "-" else path.read_bytes()
    except OSError as exc:
        raise CliError(f"{path}: {exc.strerror or exc}") from exc
    report = svc.aggregator.import_opml(text, where=str(path), declarative=declarative)
    click.echo(f"sources: {report.summary()}")


@sources.command("export")
@reports_errors
def sources_export() -> None:
    """Every source as OPML 2.0 on standard output."""
    click.echo(services().aggregator.export_opml(), nl=False)


@click.command("fetch")
@with_appcontext
@click.argument("source_ids", nargs=-1, type=int)
@reports_errors
def fetch(source_ids: tuple[int, ...]) -> None:
    """Run one pass now: the given SOURCE_IDS, or every source that is due."""
    aggregator = services().aggregator
    ids = list(source_ids) or None
    if sys.stderr.isatty():
        bars: list[Any] = []

        def planned(total: int) -> None:
            if total:
                bars.append(click.progressbar(length=total, label="fetching", file=sys.stderr))
                bars[0].__enter__()

        def advance(_result: FetchResult) -> None:
            if bars:
                bars[0].update(1)

        try:
            report = aggregator.run_pass(ids, progress=advance, planned=planned)
        finally:
            if bars:
                bars[0].__exit__(None, None, None)
    else:
        report = aggregator.run_pass(ids)
    for result in report.results:
        if result.outcome in {"failed", "gone", "delayed"}:
            click.echo(f"source {result.source_id}: {result.outcome}: {result.error}", err=True)
    aggregator.close()
    relisted = services().related.refresh()
    click.echo(f"related: {relisted} list(s) recomputed", err=True)
    click.echo(report.summary())


@click.command("scheduler")
@with_appcontext
@click.option("--once", is_flag=True, help="Take the lock, run one pass if it is ours, and exit.")
@reports_errors
def scheduler(once: bool) -> None:
    """Run the scheduler (its own process; one active at a time, the others stand by)."""
    svc = services()
    websub = publishing().websub
    runner = Scheduler(
        svc.aggregator, svc.store, tick=svc.settings.scheduler_tick,
        lease=svc.settings.scheduler_lease, clock=svc.clock,
        related=svc.related, related_interval=svc.settings.related_interval,
        pings=websub.check_now if websub is not None else None,
    )  # fmt: skip
    if once:
        svc.aggregator.apply_sources_file()
        report = runner.tick()
        runner.relate()
        if runner.active and runner.pings is not None:
            runner.pings()
        runner.lock.release()
        svc.aggregator.close()
        click.echo(report.summary() if report else "another scheduler holds the lock")
        return
    stop = threading.Event()

    def on_signal(number: int, _frame: FrameType | None) -> None:
        stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, on_signal)
    if not logging.getLogger().handlers:  # one line per fetch, on stderr
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s"
        )
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    click.echo(f"scheduler {runner.lock.holder}: tick every {runner.tick_seconds}s", err=True)
    runner.run(stop)


COMMANDS = (sources, fetch, scheduler)
