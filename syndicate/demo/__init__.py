"""Demo content: French West African news written for this project, with local images."""

from __future__ import annotations

import json
import mimetypes
from pathlib import Path

from syndicate.newsroom.service import ImportReport, Newsroom

DEMO_DIR = Path(__file__).resolve().parent
ARTICLES_FILE = DEMO_DIR / "articles.jsonl"
IMAGES_DIR = DEMO_DIR / "images"
IMAGES_URL_PATH = "/media/demo/"


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
