"""``/admin/tokens``: the newsroom's API tokens, created (shown once) and revoked.

The same store calls as ``syndicate tokens create|revoke``.
"""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from werkzeug.wrappers import Response

from syndicate.admin import bp
from syndicate.admin.http import render
from syndicate.services import services
from syndicate.store import tokens as token_store

NAME_LIMIT = 100


def _page(status: int = 200, **context: object) -> Response:
    with services().store.connect() as connection:
        listing = token_store.all_tokens(connection)
    context.setdefault("errors", {})
    return render(
        "admin/tokens.html",
        tokens=list(reversed(listing)),
        section="tokens",
        status=status,
        **context,
    )


@bp.get("/tokens")
def tokens() -> Response:
    return _page()


@bp.post("/tokens")
def token_create() -> Response:
    name = " ".join(request.form.get("name", "").split())
    if not name or len(name) > NAME_LIMIT:
        errors = {"name": f"de 1 à {NAME_LIMIT} caractères"}
        return _page(422, errors=errors, name=name)
    svc = services()
    with svc.store.begin() as connection:
        token, secret = token_store.create(connection, name, svc.clock())
    # Rendered, not redirected: the secret is shown on this response only (never stored).
    return _page(created=token, secret=secret)


@bp.post("/tokens/<int:token_id>/revoke")
def token_revoke(token_id: int) -> Response:
    svc = services()
    with svc.store.begin() as connection:
        revoked = token_store.revoke(connection, token_id, svc.clock())
    if revoked:
        flash(f"Jeton {token_id} révoqué : il n’ouvre plus l’API.", "ok")
    else:
        flash(f"Aucun jeton actif n° {token_id}.", "error")
    return redirect(url_for("admin.tokens"))
