"""``/admin/sources/<id>``: one source's page (fetch log, stories), edit, pause, resume, fetch
now, remove."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from syndicate.admin import bp, format
from syndicate.admin.http import render, safe_next
from syndicate.admin.sources import FIELD_LABELS, form_errors, source_form
from syndicate.exceptions import Conflict, InvalidInput
from syndicate.services import services

FETCH_LOG_SIZE = 20
STORIES_SHOWN = 20


def _back(source_id: int) -> Response:
    """Where the form said to go back to (the table, the dashboard), else the source's page."""
    target = safe_next(request.form.get("next"))
    return redirect(target or url_for("admin.source_page", source_id=source_id))


@bp.get("/sources/<int:source_id>")
def source_page(source_id: int) -> Response:
    aggregator = services().aggregator
    source = aggregator.get(source_id)
    return render(
        "admin/source.html",
        source=source,
        attempts=aggregator.attempts(source_id, FETCH_LOG_SIZE),
        stories=aggregator.stories(source_id, 1, STORIES_SHOWN).items,
        section="sources",
    )


def _edit_form(
    source_id: int, values: dict[str, str], errors: dict[str, str], status: int
) -> Response:
    return render(
        "admin/source_edit.html",
        source=services().aggregator.get(source_id),
        values=values,
        errors=errors,
        labels=FIELD_LABELS,
        section="sources",
        status=status,
    )


@bp.get("/sources/<int:source_id>/edit")
def source_edit(source_id: int) -> Response:
    source = services().aggregator.get(source_id)
    values = {
        "url": source.url,
        "name": source.name,
        "category": source.category,
        "interval": format.every(source.interval),
    }
    return _edit_form(source_id, values, {}, 200)


@bp.post("/sources/<int:source_id>/edit")
def source_save(source_id: int) -> Response:
    values, payload = source_form(request.form)
    try:
        source = services().aggregator.change(source_id, payload)
    except (InvalidInput, Conflict) as exc:
        return _edit_form(source_id, values, form_errors(exc), 422)
    flash(f"Source « {source.name} » enregistrée.", "ok")
    return redirect(url_for("admin.source_page", source_id=source_id))


@bp.post("/sources/<int:source_id>/pause")
def source_pause(source_id: int) -> Response:
    source = services().aggregator.pause(source_id)
    flash(f"Source « {source.name} » mise en pause.", "ok")
    return _back(source_id)


@bp.post("/sources/<int:source_id>/resume")
def source_resume(source_id: int) -> Response:
    source = services().aggregator.resume(source_id)
    flash(f"Source « {source.name} » reprise : elle sera récupérée au prochain passage.", "ok")
    return _back(source_id)


@bp.post("/sources/<int:source_id>/fetch")
def source_fetch(source_id: int) -> Response:
    result = services().aggregator.fetch_now(source_id)
    category, text = format.fetch_message(
        result.outcome,
        result.status,
        len(result.new_ids),
        len(result.updated_ids),
        result.error,
        result.paused_reason,
    )
    flash(text, category)
    return _back(source_id)


@bp.get("/sources/<int:source_id>/remove")
def source_remove_confirm(source_id: int) -> Response:
    source = services().aggregator.get(source_id)
    return render("admin/source_remove.html", source=source, section="sources")


@bp.post("/sources/<int:source_id>/remove")
def source_remove(source_id: int) -> Response:
    aggregator = services().aggregator
    source = aggregator.get(source_id)
    aggregator.remove(source_id)
    flash(f"Source « {source.name} » supprimée, avec ses {source.story_count} histoire(s).", "ok")
    return redirect(url_for("admin.sources"))
