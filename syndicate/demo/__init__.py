"""Demo content: French West African news written for this project, with local images."""

from __future__ import annotations

import json
import mimetypes
import secrets
from pathlib import Path

from syndicate.newsroom.service import ImportReport, Newsroom
from syndicate.operators.service import Operators

DEMO_DIR = Path(__file__).resolve().parent
ARTICLES_FILE = DEMO_DIR / "articles.jsonl"
IMAGES_DIR = DEMO_DIR / "images"
IMAGES_URL_PATH = "/media/demo/"
DEMO_OPERATOR = "demo"


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
