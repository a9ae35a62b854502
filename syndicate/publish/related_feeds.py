"""``/feeds/<category>/related.rss|.atom|.json``: partner stories related to a category.

The stories come from the lists the related-stories service keeps in the store (those of the
category's newest public articles), newest first, one page. Each entry links the partner's
page and credits it (RSS ``<source url>``, Atom ``<source>``, JSON Feed ``_source``), rights
kept; the partner's text is not republished beyond its summary. Renderings are cached like our
own feeds, valid while the store's version of the feed key ``related:<category>`` (bumped by
the service when the stories shown change) stays the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from flask import Blueprint, Response, redirect, request
from flask.typing import ResponseReturnValue

from syndicate.errors import problem
from syndicate.exceptions import NotFound
from syndicate.publish import publishing
from syndicate.publish.caching import Entry, Representation, answer
from syndicate.publish.compose import Site, site_fields, summary_of, term
from syndicate.publish.model import Credit, FeedDocument, Item, Media, Paging, Person, Term
from syndicate.publish.service import CONTENT_TYPES, WRITERS, FeedService
from syndicate.publish.views import CORS_PREFLIGHT, NotModified
from syndicate.related_service import feed_key
from syndicate.sanitizer import plain_text
from syndicate.services import services
from syndicate.store.articles import ALL_FEED
from syndicate.store.feeds import EPOCH
from syndicate.types import RelatedStory
from syndicate.urls import category_url, http_url, related_feed_url

bp = Blueprint("related_feeds", __name__)

USER_COMMENT = (
    "Ceci est un flux JSON Feed d’articles de nos partenaires liés à cette rubrique : copiez son "
    "adresse dans votre lecteur de flux pour les recevoir."
)


def story_item(site: Site, category: str, found: RelatedStory, feed_updated: datetime) -> Item:
    story = found.story
    image = None
    if story.image and story.image.length > 0 and http_url(story.image.url):
        image = Media(url=story.image.url, type=story.image.type, length=story.image.length)
    known = site.categories.get(category)
    terms: tuple[Term, ...] = (
        () if known is None else (term(site.base_url, known.slug, known.title),)
    )
    summary = plain_text(story.summary_html) or summary_of(story.content_html) or story.title
    return Item(
        id=found.url,
        url=found.url,
        title=story.title,
        summary=summary,
        content_html=None,
        published=story.published_at,
        updated=min(max(story.updated_at, story.published_at), feed_updated),
        author=Person(name=story.author) if story.author else None,
        categories=terms,
        image=image,
        language=story.language or None,
        source=Credit(
            name=found.source_name,
            feed_url=found.source_url,
            site_url=http_url(found.source_site_url) and found.source_site_url,
        ),
        rights=story.rights or None,
    )


def compose_related(
    site: Site,
    category: str,
    extension: str,
    updated: datetime,
    stories: Sequence[RelatedStory],
) -> FeedDocument:
    base = site.base_url
    known = site.categories.get(category)
    name = known.title if known else site.name
    self_url = related_feed_url(base, category, extension)
    return FeedDocument(
        id=related_feed_url(base, category, "atom"),
        title=f"{name} — chez nos partenaires — {site.name}",
        subtitle=f"Articles de nos partenaires liés à « {name} », les plus récents d’abord.",
        self_url=self_url,
        home_url=category_url(base, category),
        updated=updated,
        paging=Paging(first=self_url, last=self_url),
        user_comment=USER_COMMENT,
        items=tuple(
            story_item(site, category, found, updated) for found in stories if http_url(found.url)
        ),
        **site_fields(site),
    )


def serve_related(feeds: FeedService, category: str, extension: str) -> Representation:
    """The related feed of ``category``, rendered only when its store version changed."""
    if not feeds.site.exists(category) or extension not in WRITERS:
        raise NotFound(f"no related feed {category!r}")
    now = feeds.clock()
    key = feed_key(category)
    # The stories come from the lists of the category's newest articles: both versions count.
    ours, theirs = feeds.probe.raw(category, now), feeds.probe.raw(key, now)
    version = (ours, theirs)
    cache_key = ("related", category, extension)
    entry = feeds.cache.get(cache_key, version)
    if entry is None:
        changed = max(
            feeds.probe.interpret(ours).last_modified, feeds.probe.interpret(theirs).last_modified
        )
        if changed == EPOCH:  # an empty category: date it by the site's last change instead
            changed = feeds.probe.interpret(feeds.probe.raw(ALL_FEED, now)).last_modified
        stories = services().related.category_stories(category, feeds.page_size)
        newest = max((s.story.modified_at for s in stories), default=changed)
        updated = max(changed, newest).replace(microsecond=0)
        document = compose_related(feeds.site, category, extension, updated, stories)
        body = WRITERS[extension](document, feeds.fragments)
        representation = Representation.of(
            body, CONTENT_TYPES[extension], updated, feeds.headers_for(document)
        )
        entry = Entry(version, representation)
        feeds.cache.put(cache_key, entry)
    assert entry.representation is not None
    return entry.representation


@bp.route("/feeds/<category>/related.<extension>", methods=["GET", "OPTIONS"])
def related_feed(category: str, extension: str) -> ResponseReturnValue:
    if request.method == "OPTIONS":
        return Response(status=204, headers=CORS_PREFLIGHT)
    page = request.args.get("page")
    if page == "1":
        return redirect(request.path, 301)
    try:
        if page is not None:
            raise NotFound("related feeds have one page")
        found = serve_related(publishing().feeds, category, extension)
    except NotFound as exc:
        # Partners' scripts read these across origins: a 404 they can see is one they can
        # handle.
        return problem(404, "Not Found", str(exc), headers={"Access-Control-Allow-Origin": "*"})
    status, headers, body = answer(found, request.environ)
    if status == 304:
        return NotModified(status=304, headers=headers)
    return Response(body, headers=headers)
