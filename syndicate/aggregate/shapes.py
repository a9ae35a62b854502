"""JSON shapes of sources, stories and fetch attempts (SPEC.md), for the API and the CLI."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from syndicate.dates import rfc3339
from syndicate.types import FetchAttempt, Source, Story


def _time(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return rfc3339(moment)


def source_json(source: Source) -> dict[str, Any]:
    state = source.state
    return {
        "id": source.id,
        "url": source.url,
        "name": source.name,
        "category": source.category,
        "interval": source.interval,
        "enabled": source.enabled,
        "state": {
            "last_fetched_at": _time(state.last_fetched_at),
            "last_status": state.last_status,
            "last_outcome": state.last_outcome,
            "last_error": state.last_error,
            "next_fetch_at": _time(state.next_fetch_at),
            "error_count": state.error_count,
            "paused_reason": state.paused_reason,
            "min_interval": state.min_interval,
        },
        "story_count": source.story_count,
        "site_url": source.site_url,
        "origin": source.origin,
        "created_at": _time(source.created_at),
    }


def story_json(story: Story) -> dict[str, Any]:
    image = None
    if story.image:
        image = {"url": story.image.url, "type": story.image.type, "length": story.image.length}
    return {
        "id": story.id,
        "source_id": story.source_id,
        "guid": story.guid,
        "url": story.url,
        "title": story.title,
        "summary_html": story.summary_html,
        "content_html": story.content_html,
        "author": story.author,
        "published_at": _time(story.published_at),
        "updated_at": _time(story.updated_at),
        "image": image,
        "rights": story.rights,
        "language": story.language,
        "duplicate_of": story.duplicate_of,
    }


def attempt_json(attempt: FetchAttempt) -> dict[str, Any]:
    return {
        "started_at": _time(attempt.started_at),
        "url": attempt.url,
        "status": attempt.status,
        "outcome": attempt.outcome,
        "duration_ms": attempt.duration_ms,
        "bytes": attempt.bytes,
        "new": attempt.new,
        "updated": attempt.updated,
        "error": attempt.error,
    }
