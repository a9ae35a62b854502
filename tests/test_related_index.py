"""The related-stories index: self excluded, duplicates folded, no filler, recency, categories."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from syndicate.related import Document, Match, RankConfig, RelatedIndex, html_to_text, rank

DAY0 = datetime(2026, 11, 6, 9, 0, tzinfo=UTC)

AES = [
    (
        "Les chefs d'état-major de l'AES réunis à Bamako",
        "Les chefs d'état-major du Mali, du Burkina Faso et du Niger ont adopté à Bamako le plan "
        "d'action défense et sécurité de l'Alliance des États du Sahel.",
    ),
    (
        "Plan défense et sécurité de l'AES : un calendrier attendu",
        "Après la réunion de Bamako, les armées de l'AES doivent fixer le calendrier du plan de "
        "défense et de sécurité commun au Mali, au Burkina Faso et au Niger.",
    ),
    (
        "Force unifiée de l'AES : l'état-major de Niamey monte en puissance",
        "La force unifiée de l'Alliance des États du Sahel installe son état-major à Niamey ; "
        "les armées du Mali et du Burkina Faso y détachent des officiers.",
    ),
    (
        "Liptako-Gourma : les armées de l'AES dressent un bilan",
        "Les armées du Mali, du Burkina Faso et du Niger présentent le bilan de leur opération "
        "conjointe dans le Liptako-Gourma, pilier défense et sécurité de l'AES.",
    ),
    (
        "Les ministres de la Défense de l'AES à Ouagadougou",
        "Réunis à Ouagadougou, les ministres de la Défense de l'AES misent sur des achats "
        "groupés d'équipements pour les armées du Sahel.",
    ),
]
FOOTBALL = [
    (
        "CAN 2027 : les Lions de la Téranga lancent leur campagne",
        "Le Sénégal a battu le Bénin deux buts à zéro à Dakar pour son premier match des "
        "éliminatoires de la Coupe d'Afrique des nations.",
    ),
    (
        "Les Étalons arrachent le nul à Cotonou",
        "Le Burkina Faso a obtenu un match nul face au Bénin à Cotonou dans les éliminatoires "
        "de la Coupe d'Afrique des nations ; l'entraîneur salue le collectif.",
    ),
    (
        "Aigles du Mali : une liste rajeunie pour octobre",
        "Le sélectionneur des Aigles du Mali a dévoilé une liste rajeunie pour la double "
        "confrontation d'octobre des éliminatoires de la Coupe d'Afrique des nations.",
    ),
]


def story(
    doc_id: str,
    title: str,
    text: str = "",
    *,
    kind: str = "story",
    days: float = 0,
    categories: frozenset[str] = frozenset(),
) -> Document:
    assert kind in ("story", "article")
    return Document(
        id=doc_id,
        kind="story" if kind == "story" else "article",
        title=title,
        text=text,
        categories=categories,
        published_at=DAY0 + timedelta(days=days),
        source="partenaire",
    )


@pytest.fixture
def corpus() -> list[Document]:
    docs = [
        story(f"aes:{i}", t, x, categories=frozenset({"securite"})) for i, (t, x) in enumerate(AES)
    ]
    docs += [
        story(f"foot:{i}", t, x, categories=frozenset({"sport"}))
        for i, (t, x) in enumerate(FOOTBALL)
    ]
    return docs


@pytest.fixture
def index(corpus: list[Document]) -> RelatedIndex:
    built = RelatedIndex()
    built.rebuild(corpus)
    return built


def ids(matches: list[Match]) -> list[str]:
    return [m.id for m in matches]


def test_the_item_itself_never_appears(index: RelatedIndex, corpus: list[Document]) -> None:
    for doc in corpus:
        found = ids(index.related(doc.id, limit=20))
        assert doc.id not in found
        assert len(found) == len(set(found))


def test_related_items_share_the_theme_and_unrelated_ones_are_left_out(index: RelatedIndex) -> None:
    found = index.related("aes:0", limit=10)
    assert found, "the AES stories relate to each other"
    assert all(m.id.startswith("aes:") for m in found)
    assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
    football = ids(index.related("foot:0", limit=10))
    assert football and all(i.startswith("foot:") for i in football)


def test_fewer_results_rather_than_filler(index: RelatedIndex) -> None:
    unrelated = story(
        "q", "Récolte record de cacao en Côte d'Ivoire", "Les planteurs se réjouissent."
    )
    assert index.related(unrelated, limit=5) == []
    assert len(index.related("aes:0", limit=50)) <= len(AES) - 1
    everything = RelatedIndex(RankConfig(min_score=0.0))
    everything.rebuild(
        [story("a", AES[0][0], AES[0][1]), story("b", "Récolte de cacao", "Planteurs.")]
    )
    assert ids(everything.related("a", limit=5)) == ["b"]


def test_near_duplicates_are_folded_into_one_entry(corpus: list[Document]) -> None:
    title, text = AES[1]
    copies = [
        story("wire:1", title, text),
        story("wire:2", title.replace("'", "’"), text.replace("'", "’") + " (Avec agences)"),
    ]
    ours = story("article:1", AES[0][0], AES[0][1], kind="article")
    republished = story("partner:ours", AES[0][0], AES[0][1] + " Lire aussi sur notre site.")
    index = RelatedIndex()
    index.rebuild([*corpus[1:], ours, republished, *copies])
    found = index.related("article:1", limit=10)
    shown = ids(found)
    assert "partner:ours" not in shown, "a partner republishing our article is our article"
    wire = [m for m in found if m.id in {"aes:1", "wire:1", "wire:2"}]
    assert len(wire) == 1
    assert set(wire[0].duplicates) == {"aes:1", "wire:1", "wire:2"} - {wire[0].id}


def test_recency_older_items_weigh_less_newer_follow_ups_do_not() -> None:
    title, text = AES[0]
    docs = [
        story("query", title, text),
        story("old", AES[1][0], AES[1][1], days=-800),
        story("same-day", AES[1][0].replace("attendu", "est attendu"), AES[1][1]),
        story("follow-up", AES[1][0].replace("attendu", "reste attendu"), AES[1][1], days=30),
    ]
    index = RelatedIndex(RankConfig(duplicate_threshold=1.01))
    index.rebuild(docs)
    scores = {m.id: m.score for m in index.related("query", limit=5)}
    assert set(scores) == {"old", "same-day", "follow-up"}
    assert scores["old"] < 0.75 * scores["same-day"]
    assert scores["follow-up"] == pytest.approx(scores["same-day"], rel=0.05)


def test_a_shared_category_counts() -> None:
    title, text = AES[0]
    other_title, other_text = AES[1]
    docs = [
        story("query", title, text, categories=frozenset({"securite"})),
        story("same", other_title, other_text, categories=frozenset({"securite", "politique"})),
        story("other", other_title + " !", other_text, categories=frozenset({"economie"})),
    ]
    index = RelatedIndex(RankConfig(duplicate_threshold=1.01))
    index.rebuild(docs)
    found = index.related("query", limit=5)
    assert ids(found) == ["same", "other"]
    assert found[0].score > 1.1 * found[1].score


def test_kinds_filter_and_exclusions(index: RelatedIndex) -> None:
    article = story("article:9", AES[2][0], AES[2][1], kind="article")
    index.add(article)
    assert ids(index.related("aes:0", limit=10, kinds={"article"})) == ["article:9"]
    assert "article:9" not in ids(index.related("aes:0", limit=10, kinds={"story"}))
    assert "aes:1" not in ids(index.related("aes:0", limit=10, exclude={"aes:1"}))


def test_add_update_remove(index: RelatedIndex) -> None:
    index.add(
        story("new", "Le Sénégal qualifié pour la CAN", "Les Lions de la Téranga battent le Bénin.")
    )
    assert "new" in index
    assert "new" in ids(index.related("foot:0", limit=10))
    index.add(
        story("new", "Bamako : l'AES adopte son plan de défense", "Les armées du Sahel et l'AES.")
    )
    assert "new" not in ids(index.related("foot:0", limit=10))
    assert "new" in ids(index.related("aes:0", limit=10))
    assert index.remove("new") is True
    assert index.remove("new") is False
    assert "new" not in index
    assert all("new" not in ids(index.related(d, limit=10)) for d in ("aes:0", "foot:0"))
    with pytest.raises(KeyError):
        index.related("new")


def test_incremental_adds_relate_and_a_reindex_matches_a_rebuild(corpus: list[Document]) -> None:
    grown = RelatedIndex(RankConfig(auto_reindex_limit=0))
    grown.rebuild(corpus[:2] + corpus[5:6])
    for doc in corpus[2:5] + corpus[6:]:
        grown.add(doc)
    assert len(grown) == len(corpus)
    for doc in corpus:
        theme = doc.id.split(":")[0]
        found = ids(grown.related(doc.id, limit=3))
        assert found and all(i.startswith(theme) for i in found)
    rebuilt = RelatedIndex()
    rebuilt.rebuild(corpus)
    grown.reindex()
    for doc in corpus:
        assert grown.related(doc.id, limit=5) == rebuilt.related(doc.id, limit=5)


def test_an_unindexed_document_can_be_related(index: RelatedIndex) -> None:
    draft = story("draft", "Sahel : les armées de l'AES renforcent leur coopération", AES[3][1])
    found = ids(index.related(draft, limit=3))
    assert found and all(i.startswith("aes:") for i in found)
    assert "draft" not in index


def test_short_texts_titles_alone_still_relate() -> None:
    titles = [title for title, _ in AES] + [title for title, _ in FOOTBALL]
    index = RelatedIndex()
    index.rebuild([story(f"t:{i}", t) for i, t in enumerate(titles)])
    found = ids(index.related("t:0", limit=3))
    assert found and all(int(i[2:]) < len(AES) for i in found)


def test_rank_and_empty_index() -> None:
    assert RelatedIndex().related(story("q", "Bamako"), limit=5) == []
    empty = RelatedIndex()
    empty.rebuild([])
    assert len(empty) == 0
    assert empty.related(story("q", "Bamako")) == []
    empty.add(story("blank", ""))
    assert empty.related("blank") == []
    query = story("q", AES[0][0], AES[0][1])
    found = rank(query, [story(f"c{i}", t, x) for i, (t, x) in enumerate(AES[1:] + FOOTBALL)])
    assert found and all(int(m.id[1:]) < len(AES) - 1 for m in found)


def test_demo_articles_relate_by_theme() -> None:
    """A smoke test on the 47 demo articles shipped with the package."""
    path = Path(__file__).resolve().parent.parent / "syndicate" / "demo" / "articles.jsonl"
    articles = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    docs = [
        Document(
            id=a["slug"],
            kind="article",
            title=a["title"],
            text=f"{a['summary']}\n{html_to_text(a['content_html'])}",
            categories=frozenset(a["categories"]),
            published_at=datetime.fromisoformat(a["published_at"]),
        )
        for a in articles
    ]
    index = RelatedIndex()
    index.rebuild(docs)
    by_id = {a["slug"]: a for a in articles}
    query = next(a for a in articles if "chefs d’état-major de l’AES" in a["title"])
    found = index.related(query["slug"], limit=5)
    assert len(found) == 5
    assert all("AES" in by_id[m.id]["title"] for m in found)
