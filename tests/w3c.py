"""The W3C Feed Validation Service, offline, as the feed tests use it.

Needs the validator's source (github ``w3c/feedvalidator``, never part of this repository) and
a Python with lxml, html5lib and rdflib::

    git clone https://github.com/w3c/feedvalidator /tmp/w3c-feedvalidator
    python3 -m venv /tmp/fv-venv && /tmp/fv-venv/bin/pip install lxml html5lib rdflib
    SYNDICATE_FEEDVALIDATOR_SRC=/tmp/w3c-feedvalidator/src \\
    SYNDICATE_FEEDVALIDATOR_PYTHON=/tmp/fv-venv/bin/python \\
        .venv/bin/python -m pytest tests/test_publish_w3c.py tests/test_related_w3c.py

Tests marked with ``needs_validator`` are skipped otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SOURCE = os.environ.get("SYNDICATE_FEEDVALIDATOR_SRC", "")
PYTHON = os.environ.get("SYNDICATE_FEEDVALIDATOR_PYTHON", sys.executable)

needs_validator = pytest.mark.skipif(
    not SOURCE,
    reason="set SYNDICATE_FEEDVALIDATOR_SRC to w3c/feedvalidator's src/ to run the W3C validator",
)

# Runs in the validator's Python: one line per URL, then its errors and warnings (level AA,
# as the online service shows them).
DRIVER = """
import sys, urllib.request, urllib.error
sys.path.insert(0, sys.argv[1])
import feedvalidator
from feedvalidator import compatibility
from feedvalidator.formatter.text_plain import Formatter
from feedvalidator.logging import ValidationFailure
failed = 0
for url in sys.argv[2:]:
    try:
        events = feedvalidator.validateURL(url, firstOccurrenceOnly=1)["loggedEvents"]
    except ValidationFailure as failure:
        events = [failure.event]
    events = compatibility.AA(events)
    print(("FAIL " if events else "ok   ") + url)
    for line in Formatter(events):
        print("     " + line.strip())
    failed += bool(events)
print(f"{len(sys.argv) - 2} feeds, {failed} with errors or warnings")
sys.exit(1 if failed else 0)
"""


def assert_valid(urls: list[str]) -> None:
    """Every URL validated over HTTP (so Content-Type and gzip are checked too): no error, no
    warning."""
    result = subprocess.run(
        [PYTHON, "-c", DRIVER, SOURCE, *urls],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(urls)} feeds, 0 with errors or warnings" in result.stdout
