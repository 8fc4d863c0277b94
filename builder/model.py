"""The help center as the build sees it once everything is read: languages, collections, articles.

These are plain data holders shared by every stage after `content` (markdown, search index,
render). They are filled in two passes: `content` reads files and front matter, `markdown`
adds the rendered body and headings, `pipeline` links translations and neighbours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from builder.errors import Problem
from builder.markdown.links import AnchorCheck, LinkIndex

if TYPE_CHECKING:  # these modules import this one
    from builder.config.loader import Config
    from builder.content import Asset
    from builder.gitinfo import GitHistory
    from builder.theme import Theme


@dataclass(frozen=True)
class Author:
    key: str
    name: str  # in the default language
    email: str = ""
    avatar: str = ""
    names: tuple[tuple[str, str], ...] = ()  # (language, name) where config.yml gives one

    def name_in(self, lang: str) -> str:
        """The name as pages in `lang` write it; the default language's where none is given."""
        return dict(self.names).get(lang, self.name)


@dataclass(frozen=True)
class Heading:
    """A heading of an article body: level 2..6, its plain text and its stable anchor."""

    level: int
    text: str
    anchor: str
    line: int = 0


@dataclass(frozen=True)
class Section:
    """A searchable slice of an article: the text under one heading (anchor None = the intro)."""

    anchor: str | None
    heading: str
    text: str


@dataclass(frozen=True)
class GitInfo:
    updated: datetime
    commit: str


@dataclass(eq=False)
class Page:
    """What articles and collections share: a language, a path inside it, a URL, a title."""

    lang: str
    path: str  # "nds/vychety" for a collection, "nds/kak-podat-deklaraciyu" for an article
    source: Path  # absolute path of the .md file (for a collection without _index.md: the folder)
    source_rel: str  # path relative to the project root, for messages: "content/ru/nds/x.md"
    title: str
    description: str = ""
    order: int | None = None
    body_html: str = ""
    url: str = ""  # site-root-relative, always ends in "/": "/ru/nds/kak-podat-deklaraciyu/"
    git: GitInfo | None = None
    # The same page in other languages (same relative path), by language code; self excluded.
    translations: dict[str, Page] = field(default_factory=dict)
    body_text: str = ""  # the markdown body as written (rendered into body_html)
    body_line: int = 1  # 1-based line of the body's first line in the source file


@dataclass(eq=False)
class Collection(Page):
    icon: str = ""
    parent: Collection | None = None
    children: list[Collection] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)

    def all_articles(self) -> list[Article]:
        """Articles of this collection and every nested one, in display order."""
        found = list(self.articles)
        for child in self.children:
            found.extend(child.all_articles())
        return found

    def ancestors(self) -> list[Collection]:
        """Outermost first, this collection excluded (for breadcrumbs)."""
        chain: list[Collection] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))


@dataclass(eq=False)
class Article(Page):
    id: str = ""  # stable id shared by translations; default: path without .md
    slug: str = ""
    author: Author | None = None
    tags: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    draft: bool = False
    collection: Collection | None = None
    headings: list[Heading] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)


@dataclass(eq=False)
class LanguageSite:
    """Everything of one language: its home page data and the top-level collections."""

    lang: str
    title: str
    description: str = ""
    intro_html: str = ""
    intro_text: str = ""  # markdown of content/<lang>/_index.md's body
    intro_line: int = 1
    source_rel: str = ""  # "content/ru/_index.md" when there is one
    collections: list[Collection] = field(default_factory=list)
    articles: list[Article] = field(default_factory=list)  # every article, sorted by path
    url: str = ""  # "/ru/"

    def all_collections(self) -> list[Collection]:
        found: list[Collection] = []
        stack = list(reversed(self.collections))
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(reversed(node.children))
        return found


@dataclass(frozen=True)
class ReplyLink:
    """An article a saved reply links to: its title and its public URL."""

    title: str
    url: str


@dataclass(frozen=True)
class Reply:
    """A saved reply of the team (`content/<lang>/_replies/<stem>.md`), ready for a chat:
    `body` is plain text with `{{reader_name}}` / `{{operator_name}}` left for the sidecar."""

    lang: str
    id: str  # "ru/perenos"
    title: str
    shortcut: str
    tags: tuple[str, ...]
    body: str
    links: tuple[ReplyLink, ...]
    source_rel: str  # "content/ru/_replies/perenos.md"


@dataclass
class Project:
    """Everything read and rendered to HTML fragments; what render and search work from."""

    config: Config
    sites: dict[str, LanguageSite]
    assets: list[Asset]
    theme: Theme
    history: GitHistory | None
    problems: list[Problem] = field(default_factory=list)
    links: LinkIndex = field(default_factory=LinkIndex)
    anchors: dict[str, frozenset[str]] = field(default_factory=dict)  # page key → its anchors
    # page key → (its path in messages, its links into other pages' anchors): kept so that an
    # edit that removes a heading can re-check the pages that link to it.
    anchor_checks: dict[str, tuple[str, list[AnchorCheck]]] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)  # sorted by language, then shortcut

    @property
    def errors(self) -> list[Problem]:
        return sorted(p for p in self.problems if not p.warning)

    @property
    def warnings(self) -> list[Problem]:
        return sorted(p for p in self.problems if p.warning)


def all_pages(project: Project) -> list[Page]:
    """Every collection and article of every language (language homes are not pages)."""
    pages: list[Page] = []
    for site in project.sites.values():
        pages.extend(site.all_collections())
        pages.extend(site.articles)
    return pages
