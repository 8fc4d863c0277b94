"""The site's machine-readable files: sitemap.xml, robots.txt and the chat sidecar's manifest.

All of them are sorted and carry no build-time clock, so the same content gives the same bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from xml.sax.saxutils import quoteattr

from builder.model import LanguageSite, Page
from builder.urls import absolute

SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
XHTML_NS = "http://www.w3.org/1999/xhtml"


def _pages(site: LanguageSite) -> list[Page]:
    return [*site.all_collections(), *site.articles]


def _latest(pages: list[Page]) -> datetime | None:
    dates = [p.git.updated for p in pages if p.git is not None]
    return max(dates) if dates else None


def sitemap_xml(
    base_url: str,
    sites: dict[str, LanguageSite],
    languages: list[str],
    build_time: datetime | None = None,
) -> str:
    """Every home, collection and article with hreflang alternates (`xhtml:link`).

    A collection's lastmod is its newest article's; pages without any git date fall back to
    `build_time` when the build has one, and go without lastmod otherwise.
    """
    entries: list[tuple[str, str, list[tuple[str, str]]]] = []
    homes = [(code, sites[code].url or f"/{code}/") for code in languages]
    for code, url in homes:
        latest = _latest(list(sites[code].articles)) or build_time
        entries.append((url, _date(latest), homes))
    for code in languages:
        for page in _pages(sites[code]):
            group = {page.lang: page.url, **{k: p.url for k, p in page.translations.items()}}
            alternates = [(c, group[c]) for c in languages if c in group]
            pages = page.all_articles() if hasattr(page, "all_articles") else [page]
            entries.append((page.url, _date(_latest(pages) or build_time), alternates))
    entries.sort(key=lambda e: e[0])
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<urlset xmlns="{SITEMAP_NS}" xmlns:xhtml="{XHTML_NS}">',
    ]
    for url, lastmod, alternates in entries:
        lines.append(f"<url><loc>{_xml(absolute(base_url, url))}</loc>")
        if lastmod:
            lines.append(f"<lastmod>{lastmod}</lastmod>")
        if len(alternates) > 1:
            for code, href in alternates:
                lines.append(
                    f'<xhtml:link rel="alternate" hreflang={quoteattr(code)} '
                    f"href={quoteattr(absolute(base_url, href))}/>"
                )
        lines.append("</url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def robots_txt(base_url: str) -> str:
    text = "User-agent: *\nAllow: /\n"
    if base_url:
        text += f"\nSitemap: {absolute(base_url, '/sitemap.xml')}\n"
    return text


def articles_manifest(sites: dict[str, LanguageSite], languages: list[str]) -> str:
    """`_data/articles.json` for the chat sidecar: which article a rating or chat is about."""
    rows = []
    for code in languages:
        for article in sites[code].articles:
            rows.append(
                {
                    "id": article.id,
                    "lang": article.lang,
                    "title": article.title,
                    "url": article.url,
                    "author": article.author.key if article.author else None,
                    "author_name": article.author.name_in(article.lang) if article.author else None,
                    "collection": article.collection.path if article.collection else None,
                    "commit": article.git.commit if article.git else None,
                }
            )
    rows.sort(key=lambda r: (r["id"], r["lang"]))
    return json.dumps(rows, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _date(value: datetime | None) -> str:
    return value.date().isoformat() if value is not None else ""


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
