"""Build step 5: the model → HTML pages, site files and assets, all handed to the site output.

Each `render_*` method stands alone so that an incremental rebuild can call only what changed;
the per-language context every page shares is computed once in `__init__`, and no method
walks the whole site except `render_all`, `render_home` (recent articles) and the site files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from markupsafe import Markup

from builder import sitemap
from builder.colors import brand_variables
from builder.config.loader import Config
from builder.csp import header_policy, site_policy
from builder.markdown.highlight import highlight_css
from builder.model import Article, Collection, LanguageSite, Page
from builder.theme import Theme
from builder.urls import absolute, base_path, output_path, relative, root_of

TOC_LEVELS = (2, 3)
SIBLINGS_SHOWN = 8  # "more in this topic": a window around the article, not the whole list
FAVICON_TYPES = {".svg": "image/svg+xml", ".png": "image/png", ".ico": "image/x-icon"}


class SiteOutput(Protocol):
    def add(self, rel_path: str, data: bytes | str, source: str) -> None: ...


def ordered(pages: list[Any]) -> list[Any]:
    """Display order: explicit `order` first (ascending), then by title, then by path."""
    return sorted(pages, key=lambda p: (p.order is None, p.order or 0, p.title.casefold(), p.path))


def search_url(lang: str) -> str:
    return f"/{lang}/search/"


class Renderer:
    def __init__(
        self,
        config: Config,
        sites: dict[str, LanguageSite],
        site_out: SiteOutput,
        theme: Theme,
        build_time: datetime | None,
    ) -> None:
        self.config = config
        self.sites = sites
        self.site_out = site_out
        self.theme = theme
        self.build_time = build_time
        self.base_url: str = config["site.base_url"]
        self.languages = [lang for lang in config.languages if lang in sites]
        self._brand = self._register_brand_assets()
        theme.add_asset("css/highlight.css", highlight_css().encode(), "builder:highlight")
        # Compile every template once; rendering then costs one template call per page.
        self._templates = {
            name: theme.template(f"{name}.html")
            for name in ("home", "collection", "article", "search", "404", "root")
        }
        self._scripts = self._inline_scripts()
        chat = config.section("chat")
        self.csp = site_policy(self._scripts.values(), chat["url"], chat["identity_url"])
        self._common = {lang: self._language_context(lang) for lang in self.languages}

    # --- everything ---------------------------------------------------------------------------
    def render_all(self) -> None:
        self.copy_assets()
        for lang in self.languages:
            site = self.sites[lang]
            self.render_home(lang)
            if self.config["search.enabled"]:
                self.render_search_page(lang)
            for collection in site.all_collections():
                self.render_collection(collection)
            for article in site.articles:
                self.render_article(article)
        self.render_site_files()

    # --- pages --------------------------------------------------------------------------------
    def render_article(self, article: Article) -> None:
        collection = article.collection
        siblings: list[Article] = []
        if collection is not None:
            siblings = _window(ordered(collection.articles), article, SIBLINGS_SHOWN)
        author = article.author
        edit_url: str = self.config["site.edit_url"]
        self._render(
            "article",
            article,
            article.source_rel,
            breadcrumbs=self._breadcrumbs(article.lang, collection),
            toc=[h for h in article.headings if h.level in TOC_LEVELS],
            siblings=siblings,
            sibling_total=len(collection.articles) - 1 if collection is not None else 0,
            author=author,
            edit_url=edit_url.replace("{path}", article.source_rel) if edit_url else "",
            translations=self._translations(article),
        )

    def render_collection(self, collection: Collection) -> None:
        children = [
            {
                "collection": child,
                "articles": ordered(child.articles),
                "count": len(child.all_articles()),
                "grandchildren": [self._card(g) for g in ordered(child.children)],
            }
            for child in ordered(collection.children)
        ]
        self._render(
            "collection",
            collection,
            collection.source_rel,
            breadcrumbs=self._breadcrumbs(collection.lang, collection.parent),
            articles=ordered(collection.articles),
            children=children,
        )

    def render_home(self, lang: str) -> None:
        site = self.sites[lang]
        dated = [a for a in site.articles if a.git is not None]
        dated.sort(key=lambda a: a.url)
        dated.sort(key=lambda a: a.git.updated if a.git else datetime.min, reverse=True)
        self._render(
            "home",
            None,
            f"content/{lang}/_index.md",
            lang=lang,
            url=site.url or f"/{lang}/",
            title=site.title or self.config.title_for(lang),
            description=site.description,
            cards=[self._card(c) for c in ordered(site.collections)],
            recent=dated[: self.config["site.recent_count"]],
            alternates=self._alternates_for_homes(),
        )

    def render_search_page(self, lang: str) -> None:
        self._render(
            "search",
            None,
            f"theme:search/{lang}",
            lang=lang,
            url=search_url(lang),
            title=self.theme.strings(lang)["search"],
            description="",
            alternates=[(code, search_url(code)) for code in self.languages],
            robots="noindex",
        )

    # --- site files ---------------------------------------------------------------------------
    def render_site_files(self) -> None:
        self._render_root()
        self._render_404()
        if self.base_url:
            self.site_out.add(
                "sitemap.xml",
                sitemap.sitemap_xml(self.base_url, self.sites, self.languages, self.build_time),
                "builder:sitemap",
            )
        self.site_out.add("robots.txt", sitemap.robots_txt(self.base_url), "builder:robots")
        cname: str = self.config["site.cname"]
        if cname:
            self.site_out.add("CNAME", cname.strip() + "\n", "config:site.cname")
        self.site_out.add(
            "_data/articles.json",
            sitemap.articles_manifest(self.sites, self.languages),
            "builder:manifest",
        )
        # For a server of the site that sends the policy as a header (the chat sidecar).
        self.site_out.add("_data/csp.txt", header_policy(self.csp) + "\n", "builder:csp")

    def _render_root(self) -> None:
        lang = (
            self.config.default_language
            if self.config.default_language in self._common
            else self.languages[0]
        )
        self._render(
            "root",
            None,
            "builder:root",
            lang=lang,
            url="/",
            title=self.config.title,
            description=self.config["site.description"],
            alternates=self._alternates_for_homes(),
            homes=[(code, self.sites[code]) for code in self.languages],
        )

    def _render_404(self) -> None:
        """404.html in the first language, which hosts serve for any missing path, and one
        per language (en/404.html) that it sends a reader to when the path is in another
        language (site.js; nginx can serve them directly, see README)."""
        # Static hosts serve 404.html at whatever depth was asked for, so relative links would
        # break; these pages link from the site's own path instead.
        root = base_path(self.base_url)
        pages = {code: f"{root}{code}/404.html" for code in self.languages}
        self.site_out.add("404.html", self._not_found_html(self.languages[0], root, pages),
                          "builder:404")
        for code in self.languages:
            self.site_out.add(f"{code}/404.html", self._not_found_html(code, root, {}),
                              f"builder:404/{code}")

    def _not_found_html(self, lang: str, root: str, pages: dict[str, str]) -> str:
        others = [(code, self.theme.strings(code), self.sites[code]) for code in self.languages]
        return self._templates["404"].render(
            self._context(
                lang,
                None,
                "/404/",
                root,
                self.theme.strings(lang)["not_found_title"],
                "",
                [],
                robots="noindex",
                others=others,
                not_found_pages=pages,
                kind="404",
            )
        )

    # --- assets -------------------------------------------------------------------------------
    def copy_assets(self) -> None:
        for name in sorted(self.theme.assets):
            asset = self.theme.assets[name]
            self.site_out.add(asset.output, asset.data, asset.source)

    def _register_brand_assets(self) -> dict[str, str]:
        brand: dict[str, str] = {"logo": "", "favicon": "", "favicon_type": "", "custom_css": ""}
        for key, name in (
            ("logo", "brand/logo"),
            ("favicon", "brand/favicon"),
            ("custom_css", "brand/custom"),
        ):
            path = self.config.resolve(f"brand.{key}")
            if path is None:
                continue
            asset = f"{name}{path.suffix.lower()}"
            self.theme.add_asset(asset, path.read_bytes(), f"config:brand.{key}")
            brand[key] = asset
        brand["favicon"] = brand["favicon"] or brand["logo"]
        if brand["favicon"]:
            suffix = "." + brand["favicon"].rsplit(".", 1)[-1]
            brand["favicon_type"] = FAVICON_TYPES.get(suffix, "")
        return brand

    def _inline_scripts(self) -> dict[str, Markup]:
        """The theme's inline scripts, rendered once: the policy allows exactly these bytes."""
        return {
            name: Markup(self.theme.template(f"partials/{name}.js")  # noqa: S704 - our theme
                         .render(languages=self.languages).strip())
            for name in ("theme_script", "root_script")
        }

    # --- context ------------------------------------------------------------------------------
    def _language_context(self, lang: str) -> dict[str, Any]:
        """What every page of one language shares; built once, copied into each page's context."""
        chat_url: str = self.config.section("chat")["url"]
        footer = []
        for item in self.config["brand.footer_links"]:
            footer.append({"title": _localized(item["title"], lang), "url": item["url"]})
        return {
            "config": self.config,
            "lang": lang,
            "site_title": self.config.title_for(lang),
            "t": self.theme.strings(lang),
            "site": self.sites[lang],
            "languages": self.languages,
            "brand": self._brand,
            "brand_css": Markup(
                brand_variables(  # noqa: S704 - colours validated by config
                    self.config["brand.primary_color"], self.config["brand.accent_color"]
                )
            ),
            "chat_url": chat_url,
            "chat_identity_url": self.config.section("chat")["identity_url"],
            "chat_topics": [{"id": topic["id"], "title": _localized(topic["title"], lang)}
                            for topic in self.config.section("chat")["topics"]],
            "search_enabled": bool(self.config["search.enabled"]),
            "search_url": search_url(lang),
            "footer_links": footer,
            "home_url": self.sites[lang].url or f"/{lang}/",
            "csp": self.csp,
            **self._scripts,
        }

    def _context(
        self,
        lang: str,
        page: Page | None,
        url: str,
        root: str,
        title: str,
        description: str,
        alternates: list[tuple[str, str]],
        **extra: Any,
    ) -> dict[str, Any]:
        context = dict(self._common[lang])
        context.update(
            page=page,
            url=url,
            root=root,
            title=title,
            description=description or str(self.config["site.description"]),
            canonical=absolute(self.base_url, url),
            alternates=[
                {"lang": code, "href": absolute(self.base_url, href) or relative(root, href)}
                for code, href in alternates
            ],
            lang_links=self._lang_links(lang, dict(alternates), root),
            robots="",
        )
        context.update(extra)
        return context

    def _render(self, name: str, page: Page | None, source: str, **values: Any) -> None:
        lang = values.pop("lang", page.lang if page else self.languages[0])
        url = values.pop("url", page.url if page else "/")
        title = values.pop("title", page.title if page else "")
        description = values.pop("description", page.description if page else "")
        alternates = values.pop("alternates", None)
        if alternates is None and page is not None:
            alternates = self._alternates(page)
        root = root_of(url)
        context = self._context(
            lang, page, url, root, title, description, alternates or [], kind=name, **values
        )
        self.site_out.add(output_path(url), self._templates[name].render(context), source)

    def _lang_links(self, lang: str, equivalents: dict[str, str],
                    root: str) -> list[dict[str, object]]:
        """The language switcher: the same page where it exists, else that language's home."""
        links: list[dict[str, object]] = []
        for code in self.languages:
            target = equivalents.get(code) or self._common[code]["home_url"]
            links.append({"lang": code, "href": relative(root, target), "current": code == lang})
        return links

    def _alternates(self, page: Page) -> list[tuple[str, str]]:
        found = {page.lang: page.url, **{code: p.url for code, p in page.translations.items()}}
        return [(code, found[code]) for code in self.languages if code in found]

    def _alternates_for_homes(self) -> list[tuple[str, str]]:
        homes = [(code, self._common[code]["home_url"]) for code in self.languages]
        # The root page picks a language for the reader: what search engines call x-default.
        return [*homes, ("x-default", "/")] if len(homes) > 1 else homes

    def _translations(self, page: Page) -> list[tuple[str, Page]]:
        return [
            (code, page.translations[code]) for code in self.languages if code in page.translations
        ]

    def _breadcrumbs(self, lang: str, collection: Collection | None) -> list[tuple[str, str]]:
        """Home, then the collection chain down to `collection`; the template adds the page."""
        crumbs = [(self._common[lang]["t"]["home"], self._common[lang]["home_url"])]
        if collection is not None:
            crumbs.extend((c.title, c.url) for c in collection.ancestors())
            crumbs.append((collection.title, collection.url))
        return crumbs

    @staticmethod
    def _card(collection: Collection) -> dict[str, Any]:
        return {"collection": collection, "count": len(collection.all_articles())}


def _window(articles: list[Article], current: Article, size: int) -> list[Article]:
    """Up to `size` neighbours of `current` in display order, itself excluded."""
    others = [a for a in articles if a is not current]
    if len(others) <= size:
        return others
    index = next((i for i, a in enumerate(articles) if a is current), 0)
    start = max(0, min(index - size // 2, len(others) - size))
    return others[start : start + size]


def _localized(titles: dict[str, str], lang: str) -> str:
    """A {lang: text} setting in one language: its own, the one for all ("*"), or any."""
    return titles.get(lang) or titles.get("*") or next(iter(titles.values()), "")
