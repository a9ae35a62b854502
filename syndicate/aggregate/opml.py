"""OPML 2.0 in and out: the operators' declarative list of sources (``feeds/sources.opml``).

An outline with an ``xmlUrl`` is a source: ``text``/``title`` its name, ``category`` our
category (inherited from an enclosing outline), ``interval`` an optional polling interval
(``30m``, ``2h``, seconds). Read with expat, DTDs refused: no entity is ever expanded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from syndicate.exceptions import InvalidInput
from syndicate.types import Source
from syndicate.urls import http_url


@dataclass(frozen=True)
class Outline:
    line: int
    url: str
    name: str | None
    category: str | None
    interval: str | None
    site_url: str | None
    enabled: bool = True


class _Refused(Exception):
    pass


def read(text: str | bytes, where: str = "OPML") -> list[Outline]:
    """The source outlines of an OPML document; any XML error names its line."""
    parser = expat.ParserCreate()
    outlines: list[Outline] = []
    stack: list[str | None] = []
    seen_root: list[str] = []

    def refuse_dtd(*_args: object) -> None:
        raise _Refused("DOCTYPE declarations are not accepted in OPML")

    def start(name: str, attrs: dict[str, str]) -> None:
        if not seen_root:
            seen_root.append(name)
            if name != "opml":
                raise _Refused(f"the root element is <{name}>, not <opml>")
        inherited = stack[-1] if stack else None
        category = attrs.get("category") or inherited if name == "outline" else inherited
        stack.append(category)
        if name != "outline":
            return
        url = attrs.get("xmlUrl") or attrs.get("xmlurl")
        if url:
            outlines.append(
                Outline(
                    line=parser.CurrentLineNumber,
                    url=url.strip(),
                    name=(attrs.get("text") or attrs.get("title") or "").strip() or None,
                    category=category.split(",")[0].strip() if category else None,
                    interval=(attrs.get("interval") or "").strip() or None,
                    site_url=http_url(attrs.get("htmlUrl")),
                    enabled=attrs.get("enabled", "true").strip().lower() != "false",
                )
            )

    def end(_name: str) -> None:
        stack.pop()

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        if isinstance(text, str):
            parser.Parse(text.encode("utf-8"), True)
        else:
            parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise InvalidInput(
            {f"{where}:{exc.lineno}": f"not well-formed XML ({expat.errors.messages[exc.code]})"},
            message="invalid OPML",
        ) from exc
    except _Refused as exc:
        raise InvalidInput(
            {f"{where}:{parser.CurrentLineNumber}": str(exc)}, message="invalid OPML"
        ) from exc
    return outlines


def write(sources: Sequence[Source], now: datetime, title: str) -> str:
    """OPML 2.0 listing ``sources`` (paused ones carry ``enabled="false"``)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<opml version="2.0">',
        "  <head>",
        f"    <title>{_escape(title)}</title>",
        f"    <dateCreated>{format_datetime(now, usegmt=True)}</dateCreated>",
        "  </head>",
        "  <body>",
    ]
    for source in sources:
        attributes = [
            ("type", "rss"),
            ("text", source.name),
            ("title", source.name),
            ("xmlUrl", source.url),
            ("htmlUrl", source.site_url or ""),
            ("category", source.category),
            ("interval", str(source.interval)),
        ]
        if not source.enabled:
            attributes.append(("enabled", "false"))
        rendered = " ".join(f"{name}={quoteattr(value)}" for name, value in attributes if value)
        lines.append(f"    <outline {rendered}/>")
    lines += ["  </body>", "</opml>", ""]
    return "\n".join(lines)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
