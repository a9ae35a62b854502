"""Demo content: French West African news written for this project, with local images, and
three fictional partner outlets whose feeds the site serves itself (``/media/demo/partners/``)."""

from __future__ import annotations

import json
import mimetypes
import secrets
from dataclasses import dataclass
from pathlib import Path

from syndicate.aggregate.service import Aggregator
from syndicate.newsroom.service import ImportReport, Newsroom
from syndicate.operators.service import Operators

DEMO_DIR = Path(__file__).resolve().parent
ARTICLES_FILE = DEMO_DIR / "articles.jsonl"
IMAGES_DIR = DEMO_DIR / "images"
IMAGES_URL_PATH = "/media/demo/"
DEMO_OPERATOR = "demo"
PARTNERS_DIR = DEMO_DIR / "partners"
PARTNER_ORIGIN = "demo"


@dataclass(frozen=True)
class DemoPartner:
    file: str
    name: str
    category: str
    content_type: str

    @property
    def path(self) -> str:
        """The feed's URL path on our own site."""
        return f"{IMAGES_URL_PATH}partners/{self.file}"


PARTNERS = (
    DemoPartner("sahel-quotidien.rss", "Le Sahel Quotidien", "securite",
                "application/rss+xml; charset=utf-8"),
    DemoPartner("abidjan-matin.atom", "Abidjan Matin", "economie",
                "application/atom+xml; charset=utf-8"),
    DemoPartner("lome-hebdo.json", "Lomé Hebdo", "societe",
                "application/feed+json; charset=utf-8"),
)  # fmt: skip


def partner_feed(name: str) -> DemoPartner | None:
    """The demo partner served at ``/media/demo/<name>``, if ``name`` is one of theirs."""
    return next((p for p in PARTNERS if name == f"partners/{p.file}"), None)


def demo_lines() -> list[str]:
    """The demo articles as API bodies; each ``image.file`` becomes a served image."""
    lines = []
    for line in ARTICLES_FILE.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        body = json.loads(line)
        image = body.get("image")
        if image and "file" in image:
            path = IMAGES_DIR / image["file"]
            body["image"] = {
                "url": IMAGES_URL_PATH + image["file"],
                "type": mimetypes.guess_type(path.name)[0] or "image/jpeg",
                "length": path.stat().st_size,
                "alt": image.get("alt", ""),
            }
        lines.append(json.dumps(body, ensure_ascii=False))
    return lines


def load_demo(newsroom: Newsroom) -> ImportReport:
    """Idempotent: a second load changes nothing."""
    return newsroom.import_lines(demo_lines(), update_existing=True)


def add_demo_partners(aggregator: Aggregator, base_url: str) -> list[str]:
    """Add the demo partners' sources (served by this site under ``base_url``) without fetching
    them: the server is not up yet, the scheduler fetches them. Idempotent: a URL already
    among the sources is left as it is. Returns the names of the sources added."""
    known = {source.url for source in aggregator.all_sources()}
    added = []
    for partner in PARTNERS:
        url = base_url.rstrip("/") + partner.path
        if url in known:
            continue
        payload = {"url": url, "name": partner.name, "category": partner.category}
        added.append(aggregator.register(payload, origin=PARTNER_ORIGIN).name)
    return added


def ensure_demo_operator(operators: Operators, instance_path: Path) -> str | None:
    """In a development store with no operator yet, create ``demo`` with a random password.

    The password is kept in the instance folder (readable by its owner only) so that every
    ``make run`` can remind the developer of it. Returns it, or ``None`` if the store already
    had operators of its own.
    """
    password_file = instance_path / "demo-operator-password"
    names = {operator.name for operator in operators.all()}
    if names == {DEMO_OPERATOR} and password_file.exists():
        return password_file.read_text(encoding="utf-8").strip()
    if names:
        return None
    password = secrets.token_urlsafe(12)
    operators.create(DEMO_OPERATOR, password)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.touch(mode=0o600)
    password_file.write_text(password + "\n", encoding="utf-8")
    return password
