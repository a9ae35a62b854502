"""Partner feeds in: fetcher (HTTP, limits, SSRF guard) -> parser (the only feedparser import)
-> entries (sanitise, dates, keys) -> update (decide and store); scheduler, discovery, OPML.
"""
