"""Rebuild only what an edit changed, keeping the whole project in memory between edits.

Editing an article's body changes one page (and the search index of its language); editing
what other pages show of it (title, description, order, author, draft) also changes its
collection pages, siblings, translations and the home page. Anything structural (a file added
or removed, config.yml, the theme) falls back to a full build, which is still quick because
the markdown cache keeps every unchanged page.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from builder import content, replies
from builder.errors import Problem
from builder.markdown.links import check_anchors
from builder.markdown.pages import markdown_strings, page_key
from builder.markdown.renderer import MarkdownRenderer
from builder.markdown.stage import PageJob, make_renderer, render_one
from builder.model import Article, Collection, LanguageSite, Page, Project
from builder.output import SiteOutput
from builder.pipeline import BuildReport, build, make_page_renderer

if TYPE_CHECKING:  # the page renderer is made by pipeline.make_page_renderer, which imports it
    from builder.render import Renderer

SUMMARY_FIELDS = ("title", "description", "order", "author", "draft", "tags", "keywords", "id")


@dataclass
class RebuildResult:
    full: bool
    pages: list[str]  # output paths written
    problems: list[Problem]
    seconds: float


@dataclass
class LiveSite:
    config_path: Path
    out_dir: Path
    include_drafts: bool = True
    project: Project | None = None
    site_out: SiteOutput | None = None
    renderer: Renderer | None = None
    md: dict[str, MarkdownRenderer] = field(default_factory=dict)
    # Languages whose search index is out of date: refreshed after the page is reloaded,
    # because indexing a big language takes seconds and the writer is waiting for the page.
    pending_search: set[str] = field(default_factory=set)

    def full_build(self) -> BuildReport:
        report = build(self.config_path, self.out_dir, include_drafts=self.include_drafts,
                       force=True)
        assert report.project is not None
        self._adopt(report.project)
        return report

    def _adopt(self, project: Project) -> None:
        """Keep the built project and a site output that knows what is on disk."""
        self.project = project
        self.site_out = SiteOutput(self.out_dir)
        self.renderer = make_page_renderer(project, self.site_out)
        self.md = {}

    def rebuild(self, changed: set[Path]) -> RebuildResult:
        started = time.perf_counter()
        reply_files = {p for p in changed if self._is_reply(p)}
        articles = self._edited_articles(changed - reply_files)
        if articles is None:
            return self._fallback(started)
        if not articles and not reply_files:
            return RebuildResult(False, [], [], time.perf_counter() - started)
        result = (self._rebuild_articles(articles, started) if articles
                  else RebuildResult(False, [], [], 0.0))
        if not result.full:  # a full build has read the replies already
            # an edited article may have lost the heading or title a reply links to
            self._refresh_replies(result)
        result.seconds = time.perf_counter() - started
        return result

    def _is_reply(self, path: Path) -> bool:
        """A saved reply edited, added or deleted: only replies.json changes."""
        assert self.project is not None
        return not _is_noise(path) and replies.is_source(self.project.config.content_dir, path)

    def _refresh_replies(self, result: RebuildResult) -> None:
        """Re-read every reply (a team has dozens: cheaper than knowing which one changed)."""
        assert self.project is not None and self.site_out is not None
        fresh = replies.load_replies(self.project, self.include_drafts)
        result.problems.extend(fresh.problems)
        if any(not p.warning for p in fresh.problems):
            return  # as with articles: the previous file stays until the errors are fixed
        self.project.replies = fresh.replies
        self.site_out.add(replies.OUTPUT, replies.replies_json(fresh.replies), "builder:replies")
        if self.site_out.flush([replies.OUTPUT]):
            result.pages.append(replies.OUTPUT)

    def _edited_articles(self, changed: set[Path]) -> list[Page | LanguageSite] | None:
        """The articles, collections and language homes behind the changed files, or None
        when a full build is needed (a file added or removed, config, theme)."""
        if self.project is None:
            return None
        by_source: dict[Path, Page | LanguageSite] = {}
        content_dir = self.project.config.content_dir
        for site in self.project.sites.values():
            by_source.update((page.source, page) for page in site.articles)
            by_source.update((c.source, c) for c in site.all_collections()
                             if c.source.name == content.INDEX)
            if site.source_rel:
                by_source[content_dir / site.lang / content.INDEX] = site
        found = []
        for path in changed:
            if _is_noise(path):
                continue
            article = by_source.get(path)
            if article is None or not path.is_file():
                return None  # new, removed, config, theme, collection: rebuild everything
            found.append(article)
        return found

    def _rebuild_articles(self, articles: list[Page | LanguageSite],
                          started: float) -> RebuildResult:
        assert self.project is not None and self.site_out is not None
        problems: list[Problem] = []
        targets: set[str] = set()
        for article in articles:
            if isinstance(article, LanguageSite):
                self._reread_home(article, problems, targets)
                continue
            if isinstance(article, Collection):
                if not self._reread_collection(article, problems, targets):
                    return self._fallback(started)
                continue
            assert isinstance(article, Article)
            fresh = content.read_article(self.project.config, article.source, article.lang,
                                         article.path, problems)
            if fresh is None:
                continue
            summary_changed = _summary(fresh) != _summary(article)
            if fresh.draft and not self.include_drafts:
                return self._fallback(started)
            _copy_fields(fresh, article)
            problems.extend(self._render_markdown(article))
            targets.update(self._dependents(article, summary_changed))
        problems.extend(self._recheck_links_into({self._key(a) for a in articles}))
        if any(not p.warning for p in problems):
            return RebuildResult(False, [], problems, time.perf_counter() - started)
        pages = self._render(targets)
        # collections are searchable too; a language home is not
        self.pending_search.update(a.lang for a in articles if not isinstance(a, LanguageSite))
        return RebuildResult(False, pages, problems, time.perf_counter() - started)

    def _reread_collection(self, collection: Collection, problems: list[Problem],
                           targets: set[str]) -> bool:
        """Re-read an edited `_index.md`; False when the edit needs a full build (drafts)."""
        assert self.project is not None
        fresh = content.read_index(self.project.config, collection.source, collection.path,
                                   problems)
        if fresh is None:
            return True
        if fresh.draft and not self.include_drafts:
            return False
        summary = (fresh.title, fresh.description, fresh.order, fresh.icon)
        changed = summary != (collection.title, collection.description, collection.order,
                              collection.icon)
        collection.title, collection.description, collection.order, collection.icon = summary
        collection.body_text, collection.body_line = fresh.body, fresh.body_line
        problems.extend(self._render_markdown(collection))
        targets.add(f"collection:{collection.source}")
        if changed:
            self._resort(collection)
            targets.update({f"home:{collection.lang}", "site-files"})
            if collection.parent is not None:
                targets.add(f"collection:{collection.parent.source}")
            # breadcrumbs of everything inside show the collection's title
            targets.update(f"article:{a.source}" for a in collection.all_articles())
            stack = list(collection.children)
            while stack:
                child = stack.pop()
                targets.add(f"collection:{child.source}")
                stack.extend(child.children)
        return True

    def _key(self, page: Page | LanguageSite) -> str:
        assert self.project is not None
        if isinstance(page, LanguageSite):
            return str(self.project.config.content_dir / page.lang / content.INDEX)
        return page_key(page)

    def _reread_home(self, site: LanguageSite, problems: list[Problem],
                     targets: set[str]) -> None:
        """Re-read `content/<lang>/_index.md`: its title, description and intro show on the
        language's home page only."""
        assert self.project is not None
        source = self.project.config.content_dir / site.lang / content.INDEX
        fresh = content.read_index(self.project.config, source, "", problems)
        if fresh is None:
            return
        site.title = fresh.title or self.project.config.title_for(site.lang)
        site.description = fresh.description
        site.intro_text, site.intro_line = fresh.body, fresh.body_line
        key = self._key(site)
        job = PageJob(key, site.lang, site.url, site.source_rel or key, site.intro_text,
                      site.intro_line)
        output = render_one(self._markdown_renderer(site.lang), job, self.project.links)
        site.intro_html = output.html
        self.project.anchors[key] = output.anchors
        self.project.anchor_checks[key] = (job.shown, output.checks)
        problems.extend(output.problems)
        problems.extend(check_anchors(job.shown, output.checks, self.project.anchors))
        targets.add(f"home:{site.lang}")

    def _markdown_renderer(self, lang: str) -> MarkdownRenderer:
        assert self.project is not None
        renderer = self.md.get(lang)
        if renderer is None:
            renderer = self.md[lang] = make_renderer(markdown_strings(self.project.theme, lang))
        return renderer

    def _resort(self, collection: Collection) -> None:
        assert self.project is not None
        siblings = (collection.parent.children if collection.parent is not None
                    else self.project.sites[collection.lang].collections)
        siblings.sort(key=content.display_order)

    def _fallback(self, started: float) -> RebuildResult:
        report = self.full_build()
        problems = report.project.problems if report.project else []
        return RebuildResult(True, [], problems, time.perf_counter() - started)

    def _render_markdown(self, article: Page) -> list[Problem]:
        assert self.project is not None
        renderer = self._markdown_renderer(article.lang)
        key = page_key(article)
        job = PageJob(key, article.lang, article.url, article.source_rel, article.body_text,
                      article.body_line)
        output = render_one(renderer, job, self.project.links)
        article.body_html = output.html
        if isinstance(article, Article):
            article.headings, article.sections = output.headings, output.sections
        self.project.anchors[key] = output.anchors
        self.project.anchor_checks[key] = (article.source_rel, output.checks)
        return output.problems + check_anchors(article.source_rel, output.checks,
                                               self.project.anchors)

    def _recheck_links_into(self, edited: set[str]) -> list[Problem]:
        """Other pages' links into the edited pages: a removed heading breaks them."""
        assert self.project is not None
        problems: list[Problem] = []
        for key, (shown, checks) in self.project.anchor_checks.items():
            relevant = [c for c in checks if c.target_key in edited and key not in edited]
            problems.extend(check_anchors(shown, relevant, self.project.anchors))
        return problems

    def _dependents(self, article: Article, summary_changed: bool) -> set[str]:
        """Render targets as (kind, key) strings: the article, plus what shows its summary."""
        targets = {f"article:{article.source}"}
        if not summary_changed:
            return targets
        targets.add(f"home:{article.lang}")
        targets.add("site-files")  # the sidecar's manifest and the sitemap carry titles
        collection = article.collection
        if collection is not None:
            targets.update(f"article:{a.source}" for a in collection.articles)
        while collection is not None:
            targets.add(f"collection:{collection.source}")
            collection = collection.parent
        targets.update(f"article:{t.source}" for t in article.translations.values())
        return targets

    def _render(self, targets: set[str]) -> list[str]:
        assert self.project is not None and self.site_out is not None
        renderer = self.renderer
        assert renderer is not None
        pages = {f"article:{a.source}": a for s in self.project.sites.values() for a in s.articles}
        collections = {f"collection:{c.source}": c for s in self.project.sites.values()
                       for c in s.all_collections()}
        self.site_out.take_recent()
        for target in sorted(targets):
            if target in pages:
                renderer.render_article(pages[target])
            elif target in collections:
                renderer.render_collection(collections[target])
            elif target.startswith("home:"):
                renderer.render_home(target.split(":", 1)[1])
            elif target == "site-files":
                renderer.render_site_files()
        touched = self.site_out.take_recent()
        self.site_out.flush(touched)
        return touched

    def refresh_search(self) -> float:
        """Rewrite the search index of languages edited since the last call; seconds taken."""
        started = time.perf_counter()
        langs, self.pending_search = self.pending_search, set()
        assert self.project is not None and self.site_out is not None
        if not langs or not self.project.config["search.enabled"]:
            return 0.0
        from builder.search.files import build_search_files

        for lang in sorted(langs):
            files = build_search_files(self.project.sites[lang], self.project.config)
            for path, data in files.items():
                self.site_out.add(path, data, f"search index ({lang})")
            self.site_out.flush(sorted(files))
        return time.perf_counter() - started


def _is_noise(path: Path) -> bool:
    """Editor swap files and temporary files that came and went (sed -i, atomic saves)."""
    name = path.name
    if name.startswith((".", "#")) or name.endswith(("~", ".swp", ".tmp")):
        return True
    return not path.exists() and path.suffix not in (".md", ".yml", ".yaml", ".html", ".css",
                                                     ".js", ".svg", ".png", ".jpg", ".pdf")


def _summary(article: Article) -> tuple[object, ...]:
    return tuple(getattr(article, name) for name in SUMMARY_FIELDS)


def _copy_fields(fresh: Article, article: Article) -> None:
    """Update in place: collections, translations and the renderer hold this object."""
    for name in (*SUMMARY_FIELDS, "body_text", "body_line"):
        setattr(article, name, getattr(fresh, name))
