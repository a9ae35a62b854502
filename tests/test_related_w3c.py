"""The W3C Feed Validation Service on the related feeds (RSS and Atom), with partner stories.

Skipped unless the validator is set up: see ``tests/test_publish_w3c.py``.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

from syndicate.publish import publishing
from syndicate.services import services
from tests.aggregate_helpers import FAST_FETCH, insert_source
from tests.conftest import FakeClock, article_body, make_app
from tests.partners import PartnerServer, Reply
from tests.test_publish_w3c import DRIVER, PYTHON, SOURCE

pytestmark = pytest.mark.skipif(
    not SOURCE,
    reason="set SYNDICATE_FEEDVALIDATOR_SRC to w3c/feedvalidator's src/ to run the W3C validator",
)


def partner_rss(now: datetime) -> bytes:
    when = format_datetime(now - timedelta(hours=3), usegmt=True)
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Le Partenaire</title><link>https://partenaire.example/</link>
<description>Actualité</description><copyright>© Le Partenaire, tous droits réservés</copyright>
<item><title>Sahel : les armées de l’AES lancent une opération conjointe au Niger</title>
<link>https://partenaire.example/aes-operation</link><guid>p-1</guid>
<author>redaction@partenaire.example (La Rédaction)</author>
<description>Les armées du Mali, du Burkina Faso et du Niger mènent une opération contre les
groupes armés au Sahel, annonce l’état-major de l’AES &amp; ses alliés.</description>
<pubDate>{when}</pubDate></item>
</channel></rss>
""".encode()


@pytest.fixture
def served(database_url: str, tmp_path: Path) -> Iterator[str]:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    holder: dict[str, Any] = {}
    server = make_server("127.0.0.1", 0, lambda e, s: holder["app"](e, s), threaded=True)
    base_url = f"http://127.0.0.1:{server.port}"
    app = make_app(database_url, tmp_path, clock, base_url=base_url, **FAST_FETCH)
    holder["app"] = app
    newsroom = services(app).newsroom
    for n, (slug, title) in enumerate(
        [("aes-bamako", "Les chefs d’état-major de l’AES réunis à Bamako"),
         ("aes-niamey", "L’AES installe son état-major conjoint à Niamey")]
    ):  # fmt: skip
        newsroom.create(
            article_body(
                slug=slug, title=title, image=None, categories=["securite"],
                summary="Les armées du Mali, du Burkina Faso et du Niger contre les groupes "
                "armés au Sahel.",
                published_at=(clock() - timedelta(days=2 + n)).isoformat(),
            )
        )  # fmt: skip
    with PartnerServer() as partner:
        url = partner.serve("/rss", Reply(body=partner_rss(clock())))
        insert_source(app, url, category="securite", name="Le Partenaire",
                      site_url="https://partenaire.example/")  # fmt: skip
        services(app).aggregator.run_pass()
        services(app).aggregator.close()
    services(app).related.rebuild()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield base_url
    server.shutdown()
    thread.join()
    server.server_close()
    publishing(app).close()
    services(app).store.dispose()


def test_related_rss_and_atom_have_no_error_and_no_warning(served: str) -> None:
    urls = [
        f"{served}/feeds/{feed}/related.{extension}"
        for feed in ("securite", "all", "economie")
        for extension in ("rss", "atom")
    ]
    result = subprocess.run(
        [PYTHON, "-c", DRIVER, SOURCE, *urls], capture_output=True, text=True, timeout=600,
        check=False,
    )  # fmt: skip
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(urls)} feeds, 0 with errors or warnings" in result.stdout
