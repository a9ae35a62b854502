"""The sources table's filters and sort order, read from the query string. Pure functions."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from syndicate.types import Source

STATES = {"active": "actives", "paused": "en pause", "failing": "en échec"}


SORTS: dict[str, tuple[str, Callable[[Source], Any]]] = {
    "name": ("Nom", lambda s: s.name.lower()),
    "url": ("Adresse", lambda s: s.url),
    "category": ("Rubrique", lambda s: s.category),
    "interval": ("Intervalle", lambda s: s.interval),
    "last_fetch": ("Dernière récupération", lambda s: s.state.last_fetched_at),
    "status": ("Dernier statut", lambda s: s.state.last_status),
    "next_fetch": ("Prochaine", lambda s: s.state.next_fetch_at),
    "errors": ("Erreurs", lambda s: s.state.error_count),
    "reason": ("Motif de la pause", lambda s: s.state.paused_reason),
    "stories": ("Histoires", lambda s: s.story_count),
}


@dataclass(frozen=True)
class Query:
    text: str = ""
    state: str = ""
    category: str = ""
    sort: str = "name"
    descending: bool = False

    def args(self, **changes: Any) -> dict[str, str]:
        """Query-string arguments of this query with ``changes`` (defaults left out)."""
        wanted = replace(self, **changes)
        found = {"q": wanted.text, "state": wanted.state, "category": wanted.category}
        if wanted.sort != "name":
            found["sort"] = wanted.sort
        if wanted.descending:
            found["dir"] = "desc"
        return {name: value for name, value in found.items() if value}

    def toggled(self, sort: str) -> dict[str, str]:
        """Arguments that sort by ``sort``: ascending first, descending when already so."""
        return self.args(sort=sort, descending=self.sort == sort and not self.descending)


def parse(args: Mapping[str, str], categories: Collection[str]) -> Query:
    """Unknown values are ignored (a bookmarked URL never fails)."""
    state = args.get("state", "")
    category = args.get("category", "")
    sort = args.get("sort", "name")
    return Query(
        text=" ".join(args.get("q", "").split())[:200],
        state=state if state in STATES else "",
        category=category if category in categories else "",
        sort=sort if sort in SORTS else "name",
        descending=args.get("dir") == "desc",
    )


def is_failing(source: Source) -> bool:
    return source.enabled and source.state.error_count > 0


def apply(sources: Sequence[Source], query: Query) -> list[Source]:
    found = list(sources)
    if query.state == "active":
        found = [s for s in found if s.enabled]
    elif query.state == "paused":
        found = [s for s in found if not s.enabled]
    elif query.state == "failing":
        found = [s for s in found if is_failing(s)]
    if query.category:
        found = [s for s in found if s.category == query.category]
    if query.text:
        needle = query.text.casefold()
        found = [s for s in found if needle in f"{s.name} {s.url}".casefold()]
    key = SORTS[query.sort][1]
    present = [s for s in found if key(s) is not None]
    missing = [s for s in found if key(s) is None]
    present.sort(key=lambda s: (key(s), s.id), reverse=query.descending)
    return present + missing  # empty values last, whichever the direction
