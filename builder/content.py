"""Walk `content/` and build the tree of languages, collections and articles from the files.

Only files are read here; markdown bodies are rendered later by `builder.markdown.renderer`. Every
problem is collected with its file and line, so one bad article never hides the others.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import frontmatter
from builder.config.loader import Config
from builder.errors import Problem
from builder.model import Article, Collection, LanguageSite, Page
from builder.project_files import FileRefused, ProjectFiles, outside_message

INDEX = "_index.md"


@dataclass
class Asset:
    """A file next to the articles (image, PDF, CSV) copied to the same place in the site."""

    source: Path
    out_path: str  # "ru/oplata/schet.svg"
    source_rel: str


@dataclass
class ContentTree:
    sites: dict[str, LanguageSite]
    assets: list[Asset] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


@dataclass
class _IndexPage:
    """What an `_index.md` says about its folder."""

    title: str
    description: str
    order: int | None
    icon: str
    draft: bool
    body: str
    body_line: int


@dataclass
class _Walk:
    config: Config
    lang: str
    authors: set[str]
    include_drafts: bool
    tree: ContentTree
    site: LanguageSite
    files: ProjectFiles


def load_content(config: Config, include_drafts: bool = False) -> ContentTree:
    tree = ContentTree(sites={})
    files = ProjectFiles(config.root)
    if not _inside(config, files, config.content_dir, tree.problems):
        return tree
    if not config.content_dir.is_dir():
        tree.problems.append(Problem(_shown(config, config.content_dir), 0,
                                     "content folder is missing (expected next to config.yml)"))
        return tree
    for lang in config.languages:
        site = LanguageSite(lang=lang, title=config.title_for(lang), url=f"/{lang}/")
        tree.sites[lang] = site
        folder = config.content_dir / lang
        if not _inside(config, files, folder, tree.problems):
            continue
        if not folder.is_dir():
            tree.problems.append(Problem(_shown(config, folder), 0,
                                         f"folder for language '{lang}' is missing"))
            continue
        walk = _Walk(config, lang, set(config.authors), include_drafts, tree, site, files)
        _read_language_home(walk, folder)
        site.collections = _read_folder(walk, folder, "", None)[0]
        site.articles.sort(key=lambda a: a.path)
    _check_unknown_language_folders(config, tree)
    _link_translations(tree)
    return tree


def read_article(config: Config, source: Path, lang: str, path: str,
                 problems: list[Problem], files: ProjectFiles | None = None) -> Article | None:
    """One article file; None when it cannot be read at all (the problem says why).
    `files`: the walk's, which already knows the folders that lie inside the project."""
    shown = _shown(config, source)
    read = _read_front_matter(config, source, shown, frontmatter.ARTICLE_FIELDS, True, problems,
                              files)
    if read is None:
        return None
    fm, fields = read
    slug = path.rsplit("/", 1)[-1]
    author_key = fields.get("author")
    return Article(
        lang=lang,
        path=path,
        source=source,
        source_rel=shown,
        title=fields.get("title") or slug.replace("-", " ").capitalize(),
        description=fields.get("description", ""),
        order=fields.get("order"),
        url=f"/{lang}/{path}/",
        id=fields.get("id") or path,
        slug=slug,
        author=config.authors.get(author_key) if author_key else None,
        tags=fields.get("tags", ()),
        keywords=fields.get("keywords", ()),
        draft=fields.get("draft", False),
        body_line=fm.body_line,
        body_text=fm.body,
    )


def _read_language_home(walk: _Walk, folder: Path) -> None:
    index = folder / INDEX
    if not index.is_file():
        return
    page = _read_index(walk, index, "")
    if page is not None:
        walk.site.title = page.title or walk.site.title
        walk.site.description = page.description
        walk.site.intro_text = page.body
        walk.site.intro_line = page.body_line
        walk.site.source_rel = _shown(walk.config, index)


def _read_folder(walk: _Walk, folder: Path, path: str,
                 parent: Collection | None) -> tuple[list[Collection], list[Article]]:
    """Child collections and direct articles of one folder, each sorted for display."""
    collections: list[Collection] = []
    articles: list[Article] = []
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        walk.tree.problems.append(Problem(_shown(walk.config, folder), 0, f"cannot read: {exc}"))
        return [], []
    seen_urls: dict[str, str] = {}
    for entry in entries:
        if entry.name.startswith((".", "_")) and entry.name != INDEX:
            continue
        child_path = f"{path}/{entry.name}" if path else entry.name
        if not _inside(walk.config, walk.files, Path(entry.path), walk.tree.problems) or \
                _is_loop(walk, entry, folder):
            continue
        if entry.is_dir():
            collection = _read_collection(walk, Path(entry.path), child_path, parent)
            if collection is not None:
                _claim_url(walk, seen_urls, collection)
                collections.append(collection)
        elif entry.name.endswith(".md") and entry.name != INDEX:
            article = read_article(walk.config, Path(entry.path), walk.lang,
                                   child_path[:-3], walk.tree.problems, walk.files)
            if article is None or (article.draft and not walk.include_drafts):
                continue
            article.collection = parent
            _claim_url(walk, seen_urls, article)
            articles.append(article)
            walk.site.articles.append(article)
        elif entry.is_file() and entry.name != INDEX:
            walk.tree.assets.append(Asset(Path(entry.path), f"{walk.lang}/{child_path}",
                                          _shown(walk.config, Path(entry.path))))
    collections.sort(key=_display_order)
    articles.sort(key=_display_order)
    return collections, articles


def _read_collection(walk: _Walk, folder: Path, path: str,
                     parent: Collection | None) -> Collection | None:
    index = folder / INDEX
    page = _read_index(walk, index, path) if index.is_file() else None
    if page is not None and page.draft and not walk.include_drafts:
        return None
    name = path.rsplit("/", 1)[-1]
    if page is None:
        page = _IndexPage(name.replace("-", " ").capitalize(), "", None, "", False, "", 1)
    collection = Collection(
        lang=walk.lang,
        path=path,
        source=index if index.is_file() else folder,
        source_rel=_shown(walk.config, index if index.is_file() else folder),
        title=page.title,
        description=page.description,
        order=page.order,
        body_text=page.body,
        body_line=page.body_line,
        url=f"/{walk.lang}/{path}/",
        icon=page.icon,
        parent=parent,
    )
    collection.children, collection.articles = _read_folder(walk, folder, path, collection)
    return collection


def _read_index(walk: _Walk, index: Path, path: str) -> _IndexPage | None:
    return read_index(walk.config, index, path, walk.tree.problems, walk.files)


def read_index(config: Config, index: Path, path: str, problems: list[Problem],
               files: ProjectFiles | None = None) -> _IndexPage | None:
    """An `_index.md`: the language home (path "") or a collection's title and intro."""
    shown = _shown(config, index)
    read = _read_front_matter(config, index, shown, frontmatter.COLLECTION_FIELDS, bool(path),
                              problems, files)
    if read is None:
        return None
    fm, fields = read
    return _IndexPage(
        title=fields.get("title", ""),
        description=fields.get("description", ""),
        order=fields.get("order"),
        icon=fields.get("icon", ""),
        draft=fields.get("draft", False),
        body=fm.body,
        body_line=fm.body_line,
    )


# Pages the theme writes inside each language folder: content may not take their URLs.
RESERVED = {"search": "the search page"}


def _read_front_matter(
    config: Config, source: Path, shown: str, allowed: frozenset[str], title_required: bool,
    problems: list[Problem], files: ProjectFiles | None = None,
) -> tuple[frontmatter.FrontMatter, dict[str, Any]] | None:
    """A file's front matter and checked fields; None when the file cannot be read at all."""
    text = read_source(config, source, shown, problems, files)
    if text is None:
        return None
    fm = frontmatter.split(text, shown)
    fields = frontmatter.check_fields(fm, shown, allowed, set(config.authors),
                                      title_required=title_required)
    problems.extend(fm.problems)
    return fm, fields


def read_source(config: Config, source: Path, shown: str, problems: list[Problem],
                files: ProjectFiles | None = None) -> str | None:
    """The text of a markdown file (an article, an `_index.md`, a saved reply): inside the
    project and under `build.max_article_bytes`; None when it cannot be read (with why)."""
    files = files or ProjectFiles(config.root)
    try:
        return files.read_text(source, limit=config["build.max_article_bytes"],
                               what="article", setting="build.max_article_bytes")
    except FileRefused as exc:
        problems.append(Problem(shown, exc.line, exc.message))
    except OSError as exc:
        problems.append(Problem(shown, 0, f"cannot read: {exc.strerror or exc}"))
    return None


def _inside(config: Config, files: ProjectFiles, path: Path, problems: list[Problem]) -> bool:
    """False (with the problem) when `path` is a symlink, or inside one, leading out of the
    project: such a file is neither read nor published."""
    target = files.escape(path)
    if target is None:
        return True
    problems.append(Problem(_shown(config, path), 1, outside_message(target)))
    return False


def _is_loop(walk: _Walk, entry: os.DirEntry[str], folder: Path) -> bool:
    """A symlinked folder that leads to one of its own ancestors would be walked forever."""
    if not (entry.is_symlink() and entry.is_dir()):
        return False
    target = Path(os.path.realpath(entry.path))
    if not Path(os.path.realpath(folder)).is_relative_to(target):
        return False
    walk.tree.problems.append(Problem(_shown(walk.config, Path(entry.path)), 1,
                                      f"symlink to its own parent folder ({target}): it would "
                                      "repeat the folder forever"))
    return True


def _claim_url(walk: _Walk, seen: dict[str, str], page: Page) -> None:
    """`x.md` and a folder `x/` would both be served at /lang/.../x/: say so, name both."""
    if page.path in RESERVED:
        walk.tree.problems.append(Problem(
            page.source_rel, 1, f"URL {page.url} is taken by {RESERVED[page.path]}; "
                                "rename this file or folder"))
    elif page.url in seen:
        walk.tree.problems.append(Problem(page.source_rel, 1,
                                          f"URL {page.url} is also used by {seen[page.url]}"))
    else:
        seen[page.url] = page.source_rel


def display_order(page: Page) -> tuple[int, int, str, str]:
    return _display_order(page)


def _display_order(page: Page) -> tuple[int, int, str, str]:
    return (page.order is None, page.order or 0, page.title.casefold(), page.path)


def _check_unknown_language_folders(config: Config, tree: ContentTree) -> None:
    for entry in sorted(os.scandir(config.content_dir), key=lambda e: e.name):
        if entry.is_dir() and not entry.name.startswith(".") and entry.name not in tree.sites:
            tree.problems.append(Problem(
                _shown(config, Path(entry.path)), 0,
                f"folder '{entry.name}' is not a language of config.yml (languages: "
                f"{', '.join(config.languages)}); it is not built", warning=True))


def _link_translations(tree: ContentTree) -> None:
    """Same relative path in another language = a translation (articles and collections)."""
    by_path: dict[str, dict[str, Page]] = {}
    for lang, site in tree.sites.items():
        for page in [*site.articles, *site.all_collections()]:
            by_path.setdefault(("c:" if isinstance(page, Collection) else "a:") + page.path,
                               {})[lang] = page
    for versions in by_path.values():
        if len(versions) < 2:
            continue
        for lang, page in versions.items():
            page.translations = {other: p for other, p in versions.items() if other != lang}
        _share_id(versions)
    _check_duplicate_ids(tree)


def _share_id(versions: dict[str, Page]) -> None:
    """Translations share one stable id: one set explicitly is the id of all that set none."""
    articles = [p for p in versions.values() if isinstance(p, Article)]
    explicit = {a.id for a in articles if a.id != a.path}
    if len(explicit) == 1:
        shared = explicit.pop()
        for article in articles:
            if article.id == article.path:
                article.id = shared


def _check_duplicate_ids(tree: ContentTree) -> None:
    for site in tree.sites.values():
        owners: dict[str, Article] = {}
        for article in site.articles:
            first = owners.setdefault(article.id, article)
            if first is not article:
                tree.problems.append(Problem(
                    article.source_rel, 1,
                    f"id: '{article.id}' is already used by {first.source_rel}"))


def _shown(config: Config, path: Path) -> str:
    """Paths in messages are relative to the project folder, as writers see them."""
    try:
        return path.relative_to(config.root).as_posix()
    except ValueError:
        return path.as_posix()
