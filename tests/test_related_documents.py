"""What the ranker reads: articles as plain text; near-duplicate signatures and LSH."""

from __future__ import annotations

from datetime import UTC, datetime

from syndicate.related import article_document, html_to_text, story_document
from syndicate.related.duplicates import Signer, similarity
from syndicate.types import Article, Author, Source, SourceState, Status, Story

NOW = datetime(2026, 11, 6, 9, 0, tzinfo=UTC)


def test_html_to_text_keeps_visible_text_one_line_per_block() -> None:
    html = (
        "<h2>Le  plan</h2><p>Les armées de l&#8217;AES&nbsp;: <em>défense</em> et "
        "sécurité.</p><script>alert(1)</script><style>p{}</style><ul><li>Mali</li>"
        "<li>Niger</li></ul>"
    )
    assert html_to_text(html) == "Le plan\nLes armées de l’AES : défense et sécurité.\nMali\nNiger"
    assert html_to_text("") == ""


def test_article_document_reads_summary_then_body() -> None:
    article = Article(
        slug="aes-bamako",
        title="À Bamako, les chefs d’état-major de l’AES",
        summary="Un plan d’action défense et sécurité.",
        content_html="<p>Les chefs d’état-major se sont réunis.</p>",
        author=Author("Séverin Konan"),
        categories=("securite", "politique"),
        tags=(),
        language="fr",
        published_at=NOW,
        updated_at=NOW,
        image=None,
        status=Status.PUBLISHED,
        id=12,
        modified_at=NOW,
    )
    doc = article_document(article, source="Ovajabmedia")
    assert doc.id == "article:12"
    assert doc.kind == "article"
    assert (
        doc.text == "Un plan d’action défense et sécurité.\nLes chefs d’état-major se sont réunis."
    )
    assert doc.categories == frozenset({"securite", "politique"})
    assert doc.published_at == NOW
    assert doc.source == "Ovajabmedia"


def test_story_document_reads_the_content_or_summary_and_takes_the_source_category() -> None:
    source = Source(
        id=3,
        url="https://partenaire.example/rss",
        name="Le Partenaire",
        category="securite",
        interval=1800,
        enabled=True,
        origin="cli",
        created_at=NOW,
        state=SourceState(),
    )
    fields = {
        "guid": "g1",
        "url": "https://partenaire.example/a",
        "title": "Les armées de l’AES",
        "author": None,
        "published_at": NOW,
        "updated_at": NOW,
        "image": None,
        "rights": None,
        "language": "fr",
        "id": 7,
        "source_id": 3,
        "first_seen_at": NOW,
        "modified_at": NOW,
    }
    story = Story(summary_html="<p>Un bilan.</p>", content_html="", **fields)
    doc = story_document(story, source)
    assert (doc.id, doc.kind, doc.text, doc.source) == (
        "story:7",
        "story",
        "Un bilan.",
        "Le Partenaire",
    )
    assert doc.categories == frozenset({"securite"})
    full = Story(summary_html="<p>Un bilan.</p>", content_html="<p>Un bilan. Long.</p>", **fields)
    assert story_document(full, source).text == "Un bilan. Long."


def test_signatures_estimate_how_much_two_leads_share() -> None:
    signer = Signer()
    lead = (
        "Les chefs d'état-major de l'AES ont adopté à Bamako un plan d'action défense et sécurité"
    )
    same = signer.sign(signer.lead_of("Titre", lead))
    copy = signer.sign(signer.lead_of("Titre", lead.replace("'", "’") + " (AFP)"))
    other = signer.sign(signer.lead_of("Autre", "La BCEAO maintient son taux directeur inchangé"))
    assert similarity(same, signer.sign(signer.lead_of("Titre", lead))) == 1.0
    assert similarity(same, copy) >= 0.7
    assert similarity(same, other) <= 0.1
