"""The W3C Feed Validation Service on the related feeds (RSS and Atom), with partner stories.

Skipped unless the validator is set up: see ``tests/w3c.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from syndicate.publish import publishing
from syndicate.services import services
from tests.aggregate_helpers import FAST_FETCH, insert_source
from tests.browser import LiveServer
from tests.conftest import FakeClock, article_body, make_app
from tests.partners import PartnerServer, Reply
from tests.w3c import assert_valid, needs_validator

pytestmark = needs_validator


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
def served(
    database_url: str, tmp_path: Path, live_server: Callable[..., LiveServer]
) -> Iterator[str]:
    clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
    server = live_server()
    base_url = server.url
    app = make_app(database_url, tmp_path, clock, base_url=base_url, **FAST_FETCH)
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
    server.app = app
    yield base_url
    server.stop()
    publishing(app).close()
    services(app).store.dispose()


def test_related_rss_and_atom_have_no_error_and_no_warning(served: str) -> None:
    urls = [
        f"{served}/feeds/{feed}/related.{extension}"
        for feed in ("securite", "all", "economie")
        for extension in ("rss", "atom")
    ]
    assert_valid(urls)
