"""French analysis for related stories: elisions, apostrophes, accents, stop words, stems, names."""

from __future__ import annotations

from syndicate.related.french import (
    Weights,
    analyse,
    entity_flags,
    fold,
    plain_terms,
    shingles,
    stem,
    tokens,
)


def surfaces(text: str) -> list[str]:
    return [t.surface for t in tokens(text)]


def names(text: str) -> list[str]:
    words = tokens(text)
    return [w.surface for w, flag in zip(words, entity_flags(words), strict=True) if flag]


def test_elisions_are_dropped_with_straight_or_typographic_apostrophes() -> None:
    assert surfaces("l'armée d’Ingrid qu’il jusqu'au s'est n'a c'est j'ai") == [
        "armée",
        "Ingrid",
        "il",
        "au",
        "est",
        "a",
        "est",
        "ai",
    ]
    assert analyse("L’AES et l'armée", "") == analyse("L'AES et l’armée", "")


def test_words_with_an_inner_apostrophe_that_is_no_elision_stay_whole() -> None:
    assert surfaces("aujourd'hui, presqu’île") == ["aujourdhui", "presquîle"]


def test_hyphenated_words_are_split() -> None:
    assert surfaces("Chefs d’État-major, ras-le-bol") == [
        "Chefs",
        "État",
        "major",
        "ras",
        "le",
        "bol",
    ]


def test_accents_are_folded_and_stems_shared() -> None:
    assert fold("Épargne Sécurité Cœur Côte") == "epargne securite coeur cote"
    assert stem("Épargne") == stem("epargne") == "epargn"
    assert stem("militaires") == stem("militaire")
    assert stem("sécuritaires") == stem("securitaire")
    assert stem("armées") == stem("armée")
    assert set(analyse("", "libération")) & set(analyse("", "Liberation"))


def test_stop_words_and_stray_numbers_are_dropped_but_years_kept() -> None:
    assert analyse("", "Le la les de des du et à 12 300") == {}
    assert plain_terms("Les tirailleurs de 1944") == ["tirailleur", "1944"]


def test_acronyms_and_capitalised_words_inside_a_sentence_are_names() -> None:
    text = "Les chefs de l'AES et de la CEDEAO se réunissent à Bamako avec le Burkina Faso."
    assert names(text) == ["AES", "CEDEAO", "Bamako", "Burkina", "Faso"]


def test_a_capitalised_sentence_start_is_a_name_only_when_seen_capitalised_elsewhere() -> None:
    assert names("Bamako accueille la réunion. Les délégués arrivent.") == []
    assert names("Bamako accueille la réunion. Les délégués arrivent à Bamako.") == [
        "Bamako",
        "Bamako",
    ]


def test_text_in_capitals_has_no_names() -> None:
    assert names("LES ARMÉES DU SAHEL SE RÉORGANISENT") == []


def test_names_weigh_more_and_adjacent_names_make_a_pair() -> None:
    terms = analyse("", "Une visite de Ingrid Betancourt et une visite privée.")
    assert terms["ingrid_betancourt"] == terms["betancourt"] == 2.0
    assert terms["visit"] == 2.0  # two ordinary occurrences
    unboosted = analyse("", "Une visite de Ingrid Betancourt.", Weights(entity=1.0))
    assert unboosted["betancourt"] == 1.0


def test_title_weighs_more_than_body() -> None:
    terms = analyse("Crue du fleuve", "La crue inquiète les riverains.")
    assert terms["cru"] == 3.0 + 1.0
    assert terms["riverain"] == 1.0


def test_prefixes_link_derived_words() -> None:
    china, chinese = analyse("", "Chine"), analyse("", "chinois")
    assert "#chine" in china
    assert stem("Chine") != stem("chinois")
    assert "#chino" in chinese
    assert set(analyse("", "tibétain")) & set(analyse("", "Tibet"))


def test_shingles_ignore_case_accents_and_apostrophe_style() -> None:
    assert shingles("L’armée malienne a reçu") == shingles("l'ARMEE malienne a recu")
    assert shingles("deux mots") == {"deux mots"}
    assert shingles("") == set()
