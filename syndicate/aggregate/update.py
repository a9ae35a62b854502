"""Decide what a fetched feed changes, and write it (inside the caller's transaction).

New entries are inserted; entries already stored (same dedup key, or same link when a partner
changes guids on every fetch) are updated in place only when what a reader sees changed (the
content hash), at most ``update_cap`` times a day per story. Nothing is ever deleted here.
Missing dates become the first-seen time; dates in the future become now.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from syndicate.aggregate.entries import Entry
from syndicate.store import stories as story_store
from syndicate.store.stories import StoredRef

UPDATE_WINDOW = timedelta(days=1)


@dataclass
class Changes:
    new_ids: list[int] = field(default_factory=list)
    updated_ids: list[int] = field(default_factory=list)
    capped: int = 0


def _clamp(moment: datetime | None, now: datetime) -> datetime | None:
    if moment is None:
        return None
    return min(moment, now)


def _shown_fields(entry: Entry) -> dict[str, Any]:
    return {
        "guid": entry.guid,
        "url": entry.url,
        "link_key": entry.link_key,
        "title": entry.title,
        "summary_html": entry.summary_html,
        "content_html": entry.content_html,
        "author": entry.author,
        "language": entry.language,
        "image_url": entry.image.url if entry.image else None,
        "image_type": entry.image.type if entry.image else None,
        "image_length": entry.image.length if entry.image else None,
        "rights": entry.rights,
        "content_hash": entry.content_hash,
    }


def _update_values(ref: StoredRef, entry: Entry, now: datetime, cap: int) -> dict[str, Any] | None:
    count, window = ref.update_count, ref.update_window_at
    if now - window >= UPDATE_WINDOW:
        count, window = 0, now
    if count >= cap:
        return None
    published = _clamp(entry.published, now) or ref.published_at
    updated = max(_clamp(entry.updated, now) or now, published)
    return {
        **_shown_fields(entry),
        "published_at": published,
        "updated_at": updated,
        "modified_at": now,
        "update_count": count + 1,
        "update_window_at": window,
    }


def apply(
    connection: Connection,
    source_id: int,
    entries: Sequence[Entry],
    now: datetime,
    *,
    update_cap: int,
    oldest: datetime,
) -> Changes:
    """Store ``entries`` of one source; entries published before ``oldest`` are not added."""
    changes = Changes()
    stored = story_store.by_dedup_keys(connection, source_id, [e.dedup_key for e in entries])
    orphans = {e.link_key for e in entries if e.dedup_key not in stored and e.link_key}
    by_link = story_store.by_link_keys(connection, source_id, orphans) if orphans else {}
    # Same key first; then, for the rest, the same link (partners that change guids).
    claimed = {ref.id for ref in stored.values()}
    matches: list[tuple[Entry, StoredRef]] = []
    fresh: list[Entry] = []
    for entry in entries:
        ref = stored.get(entry.dedup_key)
        if ref is None and entry.link_key:
            ref = by_link.get(entry.link_key)
            if ref is not None and ref.id in claimed:
                ref = None
        if ref is None:
            fresh.append(entry)
            continue
        claimed.add(ref.id)
        matches.append((entry, ref))
    for entry, ref in matches:
        if ref.content_hash == entry.content_hash:
            continue
        values = _update_values(ref, entry, now, update_cap)
        if values is None:
            changes.capped += 1
            continue
        story_store.change(connection, ref.id, values)
        changes.updated_ids.append(ref.id)

    elsewhere = story_store.first_elsewhere(
        connection, source_id, {e.link_key for e in fresh if e.link_key}
    )
    rows: list[dict[str, Any]] = []
    for entry in fresh:
        published = _clamp(entry.published, now) or now
        if published < oldest:
            continue
        updated = max(_clamp(entry.updated, now) or published, published)
        rows.append(
            {
                **_shown_fields(entry),
                "source_id": source_id,
                "dedup_key": entry.dedup_key,
                "published_at": published,
                "updated_at": updated,
                "first_seen_at": now,
                "modified_at": now,
                "update_count": 0,
                "update_window_at": now,
                "duplicate_of": elsewhere.get(entry.link_key) if entry.link_key else None,
            }
        )
    changes.new_ids = story_store.insert_many(connection, rows)
    return changes
