"""French wording for the console: times, intervals, fetch outcomes. Pure functions."""

from __future__ import annotations

import re
from datetime import UTC, datetime

OUTCOMES = {
    "fetched": "récupérée",
    "not_modified": "inchangée (304)",
    "unchanged": "inchangée",
    "failed": "échec",
    "gone": "supprimée par le partenaire",
    "delayed": "reportée",
}


def when(moment: datetime | None) -> str:
    """``29/11/2026 12:05`` (UTC), or a dash."""
    if moment is None:
        return "–"
    return f"{moment.astimezone(UTC):%d/%m/%Y %H:%M}"


def span(seconds: float) -> str:
    """A length of time in words: ``45 s``, ``12 min``, ``3 h``, ``2 j``."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 86400:
        hours, rest = divmod(seconds, 3600)
        minutes = round(rest / 60)
        return f"{hours} h {minutes:02d}" if minutes else f"{hours} h"
    return f"{round(seconds / 86400)} j"


def ago(moment: datetime | None, now: datetime) -> str:
    """``il y a 5 min``, ``dans 3 h``, ``à l’instant``, or a dash."""
    if moment is None:
        return "–"
    delta = (now - moment).total_seconds()
    if abs(delta) < 5:
        return "à l’instant"
    return f"il y a {span(delta)}" if delta > 0 else f"dans {span(-delta)}"


def every(seconds: int) -> str:
    """An interval as an operator types it: ``30m``, ``2h``, ``1d``, ``90s``."""
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def outcome(word: str | None) -> str:
    return OUTCOMES.get(word or "", word or "–")


REASONS = (
    (re.compile(r"^is required$"), "obligatoire"),
    (re.compile(r"^must be at least (\d+) seconds$"), r"au moins \1 secondes"),
    (re.compile(r"^must be at most (\d+) seconds$"), r"au plus \1 secondes"),
    (re.compile(r"^must be at least (\d+) characters$"), r"au moins \1 caractères"),
    (re.compile(r"^must be at most (\d+) characters$"), r"au plus \1 caractères"),
    (re.compile(r"^must be a non-empty string$"), "ne peut pas être vide"),
    (re.compile(r"^must be an http\(s\) URL$"), "une adresse http(s) est attendue"),
    (re.compile(r"^unknown category (.*) \(known: (.*)\)$"),
     r"rubrique inconnue \1 (connues : \2)"),
    (re.compile(r"^expected a duration like .*$"), "une durée comme 90s, 30m, 2h ou 1d"),
    (re.compile(r"^must be a number of seconds or a duration like 30m$"),
     "une durée comme 90s, 30m, 2h ou 1d"),
    (re.compile(r"^not reachable: (.*)$"), r"injoignable : \1"),
    (re.compile(r"^refused: (.*)$"), r"refusée : \1"),
    (re.compile(r"^(\S+) answered HTTP (\d+)$"), r"\1 a répondu HTTP \2"),
    (re.compile(r'^a web page that links no feed .*$'),
     "page web sans flux annoncé (aucun <link rel=\"alternate\">)"),
    (re.compile(r"^the page links feeds, none readable: (.*)$"),
     r"la page annonce des flux, aucun n’est lisible : \1"),
)  # fmt: skip


def reason(text: str) -> str:
    """A validation reason of the services, in French when it is a known one."""
    for pattern, replacement in REASONS:
        if pattern.match(text):
            return pattern.sub(replacement, text)
    return text


def fetch_message(outcome: str, status: int | None, new: int, updated: int, error: str | None,
                  paused_reason: str | None = None) -> tuple[str, str]:  # fmt: skip
    """(flash category, sentence) telling an operator how a fetch went."""
    http = f"HTTP {status}" if status else "sans réponse HTTP"
    if outcome == "fetched":
        return "ok", f"Récupérée ({http}) : {new} nouvelle(s), {updated} mise(s) à jour."
    if outcome == "not_modified":
        return "ok", "Récupérée : rien de nouveau (HTTP 304)."
    if outcome == "unchanged":
        return "ok", f"Récupérée ({http}) : contenu identique, rien de nouveau."
    if outcome == "delayed":
        return "warn", f"Reportée : {error}."
    if outcome == "gone":
        return "error", f"Le partenaire a supprimé ce flux ({http}) : source mise en pause."
    text = f"Échec ({http}) : {error}."
    if paused_reason:
        text += " La source est mise en pause."
    return "error", text
