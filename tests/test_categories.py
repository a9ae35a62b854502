from __future__ import annotations

from pathlib import Path

import pytest

from syndicate.categories import load_categories
from syndicate.config import PROJECT_ROOT
from syndicate.exceptions import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "categories.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_file_declares_the_six_sections() -> None:
    categories = load_categories(PROJECT_ROOT / "feeds" / "categories.toml")
    assert list(categories)[:6] == [
        "politique",
        "securite",
        "economie",
        "societe",
        "culture",
        "sport",
    ]
    assert categories["economie"].title == "Économie"


GOOD = '[[category]]\nslug = "politique"\ntitle = "Politique"\ndescription = "d"\n\n'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD + '[[category]]\nslug = "Sécu"\ntitle = "S"\ndescription = "d"\n', ":6: slug 'Sécu'"),
        (
            GOOD + '[[category]]\nslug = "politique"\ntitle = "P"\ndescription = "d"\n',
            ":6: duplicate",
        ),
        (
            GOOD + '[[category]]\nslug = "all"\ntitle = "Tout"\ndescription = "d"\n',
            ":6: slug 'all' is reserved",
        ),
        (GOOD + '[[category]]\nslug = "sport"\ndescription = "d"\n', ":6: `title`"),
        (
            GOOD + '[[category]]\nslug = "sport"\ntitle = "S"\ndescription = "d"\ncolor = 1\n',
            ":6: unknown key",
        ),
        (GOOD + "[[category]\n", "line 6"),
        ("", "at least one"),
    ],
)
def test_broken_files_are_refused_with_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_categories(write(tmp_path, text))
    assert message in str(caught.value)


def test_the_app_refuses_to_start_with_a_broken_file(tmp_path: Path) -> None:
    from syndicate.app import create_app

    path = write(tmp_path, '[[category]]\nslug = "x y"\ntitle = "t"\ndescription = "d"\n')
    with pytest.raises(ConfigError, match=r"categories.toml:1:"):
        create_app(
            {"secret_key": "s", "categories_file": str(path), "instance_path": str(tmp_path)}
        )
