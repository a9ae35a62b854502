"""The W3C Feed Validation Service, offline, on every RSS and Atom feed of the demo content.

Needs the validator's source (github ``w3c/feedvalidator``, never part of this repository) and
a Python with lxml, html5lib and rdflib::

    git clone https://github.com/w3c/feedvalidator /tmp/w3c-feedvalidator
    python3 -m venv /tmp/fv-venv && /tmp/fv-venv/bin/pip install lxml html5lib rdflib
    SYNDICATE_FEEDVALIDATOR_SRC=/tmp/w3c-feedvalidator/src \\
    SYNDICATE_FEEDVALIDATOR_PYTHON=/tmp/fv-venv/bin/python \\
        .venv/bin/python -m pytest tests/test_publish_w3c.py

Skipped otherwise. Pages 1 and 2 of every category and ``all``, served over HTTP on loopback
(so the validator also checks the Content-Type and gzip), with a WebSub hub configured.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from syndicate import demo
from syndicate.publish import publishing
from syndicate.services import services
from tests.conftest import FakeClock, make_app

SOURCE = os.environ.get("SYNDICATE_FEEDVALIDATOR_SRC", "")
PYTHON = os.environ.get("SYNDICATE_FEEDVALIDATOR_PYTHON", sys.executable)
FEEDS = ("all", "politique", "securite", "economie", "societe", "culture", "sport")

pytestmark = pytest.mark.skipif(
    not SOURCE,
    reason="set SYNDICATE_FEEDVALIDATOR_SRC to w3c/feedvalidator's src/ to run the W3C validator",
)

# Runs in the validator's Python: one line per URL, then its errors and warnings (level AA,
# as the online service shows them).
DRIVER = """
import sys, urllib.request, urllib.error
sys.path.insert(0, sys.argv[1])
import feedvalidator
from feedvalidator import compatibility
from feedvalidator.formatter.text_plain import Formatter
from feedvalidator.logging import ValidationFailure
failed = 0
for url in sys.argv[2:]:
    try:
        events = feedvalidator.validateURL(url, firstOccurrenceOnly=1)["loggedEvents"]
    except ValidationFailure as failure:
        events = [failure.event]
    events = compatibility.AA(events)
    print(("FAIL " if events else "ok   ") + url)
    for line in Formatter(events):
        print("     " + line.strip())
    failed += bool(events)
print(f"{len(sys.argv) - 2} feeds, {failed} with errors or warnings")
sys.exit(1 if failed else 0)
"""


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[str]:
    # The real time: the validator flags RSS dates more than ten minutes ahead of its clock.
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    holder: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda e, s: holder["app"](e, s), threaded=True)
    base_url = f"http://127.0.0.1:{server.port}"
    app = make_app(
        database_url,
        tmp_path,
        clock,
        base_url=base_url,
        feed_size=5,
        websub_hub="https://hub.example.org/",
    )
    demo.load_demo(services(app).newsroom)
    holder["app"] = app
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield base_url
    server.shutdown()
    thread.join()
    server.server_close()
    publishing(app).close()
    services(app).store.dispose()


def test_every_rss_and_atom_feed_has_no_error_and_no_warning(served: str) -> None:
    urls = [
        f"{served}/feeds/{feed}.{extension}{page}"
        for feed in FEEDS
        for extension in ("rss", "atom")
        for page in ("", "?page=2")
    ]
    result = subprocess.run(
        [PYTHON, "-c", DRIVER, SOURCE, *urls],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(urls)} feeds, 0 with errors or warnings" in result.stdout
