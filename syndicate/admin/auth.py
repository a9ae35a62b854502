"""Sign-in, sign-out, and the guard every console request goes through.

The session (Flask's signed cookie: ``HttpOnly``, ``SameSite=Lax``, ``Secure`` over https, set
in ``app.py``) holds the operator's id, the sign-in time and the operator's session generation;
signing out bumps the generation in the store, which ends every session issued before.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import flash, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from syndicate.admin import bp, csrf
from syndicate.admin.format import span
from syndicate.admin.http import render, safe_next
from syndicate.exceptions import NotFound
from syndicate.operators.service import SignInFailed, SignInThrottled
from syndicate.services import services
from syndicate.store.operators import Operator

log = logging.getLogger("syndicate.admin")

SESSION_KEY = "operator"
OPEN_ENDPOINTS = frozenset({"admin.sign_in", "admin.static"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def current_operator() -> Operator | None:
    """The operator this request's session belongs to, if it is still valid."""
    data = session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    svc = services()
    operator = None
    if isinstance(data.get("id"), int) and isinstance(data.get("at"), int | float):
        age = svc.clock().timestamp() - data["at"]
        if 0 <= age <= timedelta(hours=csrf.SESSION_HOURS).total_seconds():
            operator = svc.operators.get(data["id"])
    if operator is None or operator.session_generation != data.get("generation"):
        session.pop(SESSION_KEY, None)
        return None
    return operator


@bp.before_request
def guard() -> Response | None:
    """CSRF first (a forged POST does nothing, signed in or not), then sign-in."""
    if request.method not in SAFE_METHODS:
        csrf.check()
    if request.endpoint == "admin.static":
        return None
    g.operator = current_operator()
    if g.operator is None and request.endpoint not in OPEN_ENDPOINTS:
        target = None
        if request.method in SAFE_METHODS:
            target = request.full_path.rstrip("?")
        return redirect(url_for("admin.sign_in", next=target))
    return None


@bp.errorhandler(csrf.CSRFError)
def csrf_refused(exc: csrf.CSRFError) -> Response:
    log.warning("CSRF check failed on %s %s: %s", request.method, request.path, exc.description)
    return render(
        "admin/error.html",
        status=400,
        title="Formulaire refusé",
        detail="Le jeton de sécurité du formulaire manque ou a expiré. "
        "Rechargez la page, puis recommencez.",
    )


@bp.errorhandler(NotFound)
def not_found(exc: NotFound) -> Response:
    return render(
        "admin/error.html", status=404, title="Introuvable", detail="Cet élément n’existe pas."
    )


def _sign_in_page(status: int = 200, **context: Any) -> Response:
    context.setdefault("name", "")
    context.setdefault("next", safe_next(request.values.get("next")))
    return render("admin/sign_in.html", status=status, **context)


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Response:
    target = safe_next(request.values.get("next"))
    if request.method == "GET":
        if g.operator is not None:
            return redirect(target or url_for("admin.dashboard"))
        return _sign_in_page()
    name = request.form.get("name", "")
    password = request.form.get("password", "")
    address = request.remote_addr or "unknown"
    svc = services()
    try:
        operator = svc.operators.sign_in(name, password, address)
    except SignInThrottled as exc:
        log.warning(
            "sign-in refused for %r from %s: throttled %d s", name, address, exc.retry_after
        )
        wait = span(exc.retry_after)
        message = (
            f"Trop d’essais infructueux : la connexion est bloquée pendant {wait}."
            if exc.locked
            else f"Trop d’essais infructueux : patientez {wait} avant de réessayer."
        )
        response = _sign_in_page(429, error=message, name=name)
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except SignInFailed as exc:
        log.warning("failed sign-in for %r from %s", name, address)
        message = "Identifiant ou mot de passe incorrect."
        if exc.retry_after:
            message += f" Prochain essai possible dans {span(exc.retry_after)}."
        return _sign_in_page(error=message, name=name)
    session.clear()  # a fresh session (and CSRF token) for the signed-in operator
    session[SESSION_KEY] = {
        "id": operator.id,
        "generation": operator.session_generation,
        "at": int(svc.clock().timestamp()),
    }
    log.info("operator %r signed in from %s", operator.name, address)
    return redirect(target or url_for("admin.dashboard"))


@bp.post("/sign-out")
def sign_out() -> Response:
    operator: Operator = g.operator
    services().operators.end_sessions(operator.id)
    session.clear()
    flash("Vous êtes déconnecté.", "ok")
    return redirect(url_for("admin.sign_in"))
