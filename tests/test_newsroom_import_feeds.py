"""Which feeds an import changes: the categories an article leaves as well as those it joins."""

from __future__ import annotations

import json

from flask import Flask

from syndicate.services import services
from tests.conftest import article_body


def test_an_import_that_moves_an_article_reports_both_categories(app: Flask) -> None:
    newsroom = services(app).newsroom
    heard: list[frozenset[str]] = []
    newsroom.import_lines([json.dumps(article_body(categories=["sport"]))], update_existing=False)
    newsroom.listeners.append(heard.append)
    moved = json.dumps(article_body(categories=["culture"]))
    newsroom.import_lines([moved], update_existing=True)
    assert heard == [frozenset({"all", "sport", "culture"})]
