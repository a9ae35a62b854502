"""The W3C Feed Validation Service on every RSS and Atom feed of the demo content.

Pages 1 and 2 of every category and ``all``, served over HTTP on loopback, with a WebSub hub
configured. Skipped unless the validator is set up: see ``tests/w3c.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syndicate import demo
from syndicate.publish import publishing
from syndicate.services import services
from tests.browser import LiveServer
from tests.conftest import FakeClock, make_app
from tests.w3c import assert_valid, needs_validator

FEEDS = ("all", "politique", "securite", "economie", "societe", "culture", "sport")

pytestmark = needs_validator


@pytest.fixture
def served(
    database_url: str, tmp_path: Path, live_server: Callable[..., LiveServer]
) -> Iterator[str]:
    # The real time: the validator flags RSS dates more than ten minutes ahead of its clock.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    server = live_server()
    app = make_app(
        database_url,
        tmp_path,
        clock,
        base_url=server.url,
        feed_size=5,
        websub_hub="https://hub.example.org/",
    )
    demo.load_demo(services(app).newsroom)
    server.app = app
    yield server.url
    server.stop()
    publishing(app).close()
    services(app).store.dispose()


def test_every_rss_and_atom_feed_has_no_error_and_no_warning(served: str) -> None:
    assert_valid(
        [
            f"{served}/feeds/{feed}.{extension}{page}"
            for feed in FEEDS
            for extension in ("rss", "atom")
            for page in ("", "?page=2")
        ]
    )
