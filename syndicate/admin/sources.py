"""``/admin/sources``: the table, adding a source (with a preview), OPML import and export."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import flash, redirect, request, url_for
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from syndicate.admin import bp, format, table
from syndicate.admin.http import render
from syndicate.exceptions import Conflict, InvalidInput
from syndicate.services import services

FIELD_LABELS = {
    "url": "Adresse",
    "name": "Nom",
    "category": "Rubrique",
    "interval": "Intervalle",
    "enabled": "État",
    "body": "Formulaire",
}
ADMIN_ORIGIN = "admin"


FORM_FIELDS = ("url", "name", "category", "interval")


def source_form(form: MultiDict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """A source form as typed (to show it again) and as the service's payload (blank optional
    fields left out)."""
    values = {name: form.get(name, "") for name in FORM_FIELDS}
    payload: dict[str, Any] = {}
    for name in FORM_FIELDS:
        value = values[name].strip()
        if value or name in {"url", "category"}:
            payload[name] = value
    return values, payload


def form_errors(exc: InvalidInput | Conflict) -> dict[str, str]:
    """Per-field French messages from a service's refusal."""
    if isinstance(exc, Conflict):
        return {"url": "une source a déjà cette adresse"}
    return {name: format.reason(text) for name, text in exc.errors.items()}


@bp.get("/sources")
def sources() -> Response:
    svc = services()
    query = table.parse(request.args, svc.categories)
    every = svc.aggregator.all_sources()
    shown = table.apply(every, query)
    return render(
        "admin/sources.html",
        sources=shown,
        total=len(every),
        query=query,
        sorts=table.SORTS,
        states=table.STATES,
        is_failing=table.is_failing,
        section="sources",
    )


def _new_form(
    values: Mapping[str, str], errors: Mapping[str, str] | None = None, status: int = 200
) -> Response:
    return render(
        "admin/source_new.html",
        values=values,
        errors=errors or {},
        labels=FIELD_LABELS,
        min_interval=services().settings.fetch_min_interval,
        default_interval=format.every(services().settings.fetch_interval),
        section="sources",
        status=status,
    )


@bp.get("/sources/new")
def source_new() -> Response:
    return _new_form({"category": request.args.get("category", "")})


@bp.post("/sources/preview")
def source_preview() -> Response:
    """Fetch the URL (a web page: its autodiscovered feed) and show what would be added."""
    values, payload = source_form(request.form)
    try:
        preview = services().aggregator.preview(payload)
    except (InvalidInput, Conflict) as exc:
        return _new_form(values, form_errors(exc), status=422)
    return render(
        "admin/source_preview.html",
        preview=preview,
        values=values,
        section="sources",
    )


@bp.post("/sources")
def source_add() -> Response:
    """Add the previewed source (it is fetched again, and its stories stored)."""
    values, payload = source_form(request.form)
    try:
        added = services().aggregator.add(payload, origin=ADMIN_ORIGIN)
    except (InvalidInput, Conflict) as exc:
        return _new_form(values, form_errors(exc), status=422)
    source = added.source
    flash(f"Source « {source.name} » ajoutée : {len(added.first_fetch.new_ids)} histoire(s).", "ok")
    return redirect(url_for("admin.source_page", source_id=source.id))


# OPML -------------------------------------------------------------------------------------


@bp.get("/sources/opml")
def sources_opml() -> Response:
    return render("admin/sources_opml.html", errors={}, section="sources")


@bp.get("/sources/export.opml")
def sources_export() -> Response:
    svc = services()
    response = Response(svc.aggregator.export_opml(), mimetype="text/x-opml")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="sources-{svc.clock():%Y-%m-%d}.opml"'
    )
    return response


@bp.post("/sources/import")
def sources_import() -> Response:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        errors = {"fichier": "choisissez un fichier OPML"}
        return render("admin/sources_opml.html", errors=errors, section="sources", status=422)
    name = upload.filename
    try:
        report = services().aggregator.import_opml(upload.read(), where=name)
    except InvalidInput as exc:
        errors = {where: format.reason(text) for where, text in exc.errors.items()}
        return render(
            "admin/sources_opml.html",
            errors=errors,
            summary=str(exc).split(":", 1)[0],
            section="sources",
            status=422,
        )
    flash(
        f"Import de {name} : {report.added} ajoutée(s), {report.updated} modifiée(s), "
        f"{report.unchanged} inchangée(s).",
        "ok",
    )
    return redirect(url_for("admin.sources"))
