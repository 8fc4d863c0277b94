"""The team's saved replies: `content/<lang>/_replies/*.md`, reviewed in git like articles, checked
by the build like them and shipped to the chat sidecar as `site/_data/replies.json`.

A reply is never a page (the content walk skips `_` folders): its body becomes the plain text
of a chat message (`markdown.chat_text`), its links to articles absolute URLs of the published
site, checked with the articles' own link resolver, so a reply can't send a reader to a page
that is gone. `{{reader_name}}` and `{{operator_name}}` stay in the text for the sidecar to fill.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from markdown_it.token import Token

from builder import content, frontmatter
from builder.errors import Problem
from builder.markdown.chat_text import chat_text
from builder.markdown.links import LinkResolver, check_anchors
from builder.markdown.pages import markdown_strings, page_key
from builder.markdown.renderer import MarkdownRenderer
from builder.markdown.stage import make_renderer
from builder.model import Project, Reply, ReplyLink, all_pages
from builder.project_files import ProjectFiles

FOLDER = "_replies"
OUTPUT = "_data/replies.json"
FORMAT_VERSION = 1
VARIABLES = ("reader_name", "operator_name")
# The sidecar takes a chat message of at most 4,000 characters (chat_server/protocol.py); the
# names filled in later need room too.
MAX_BODY_CHARS = 3800
MAX_TITLE_CHARS = 200
MAX_SHORTCUT_CHARS = 40
MAX_TAGS = 20
MAX_TAG_CHARS = 50

_VARIABLE = re.compile(r"\{\{(.*?)\}\}", re.S)
# One word: letters and digits, inside it also - _ . + (e.g. "перенос", "refund-2", "ндс.вычет").
_SHORTCUT = re.compile(r"\w(?:[\w.+-]*\w)?")


@dataclass
class Replies:
    replies: list[Reply] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def is_source(content_dir: Path, path: Path) -> bool:
    """Whether `path` is (or was, when deleted) a saved reply: content/<lang>/_replies/x.md."""
    return (path.suffix == ".md" and path.parent.name == FOLDER
            and path.parent.parent.parent == content_dir)


def load_replies(project: Project, include_drafts: bool) -> Replies:
    """Every language's replies, read, checked against the project's pages and rendered.
    Call after the pages' markdown: links into them need their anchors."""
    found = Replies()
    files = ProjectFiles(project.config.root)
    titles = _page_titles(project)
    for lang in project.config.languages:
        renderer = make_renderer(markdown_strings(project.theme, lang))
        shortcuts: dict[str, tuple[str, int]] = {}
        for source in _sources(project.config.content_dir / lang / FOLDER):
            reply = _read(project, lang, source, files, found.problems, include_drafts)
            if reply is None:
                continue
            fm, fields = reply
            shown = _shown(project, source)
            if not _claim_shortcut(fields["shortcut"], shown, fm.line_of("shortcut"),
                                   shortcuts, found.problems):
                continue
            found.replies.append(_render(project, lang, source, shown, fm, fields, renderer,
                                         titles, found.problems))
    found.replies.sort(key=lambda r: (r.lang, _folded(r.shortcut), r.id))
    if not project.config["site.base_url"] and any(r.links for r in found.replies):
        found.problems.append(Problem(project.config.display_path, 0, (
            "site.base_url is not set, so saved replies link to articles from the site root "
            "(/ru/...), which a reader's chat can't open; set it to the site's public address"),
            warning=True))
    return found


def replies_json(replies: list[Reply]) -> str:
    """The file the sidecar reads; the same replies give the same bytes."""
    rows = [{
        "lang": r.lang,
        "id": r.id,
        "title": r.title,
        "shortcut": r.shortcut,
        "tags": list(r.tags),
        "body": r.body,
        "links": [{"title": link.title, "url": link.url} for link in r.links],
        "source": r.source_rel,
    } for r in replies]
    data = {"version": FORMAT_VERSION, "replies": rows}
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def _sources(folder: Path) -> Iterator[Path]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return  # no _replies folder: no replies
    for entry in entries:
        if entry.name.endswith(".md") and not entry.name.startswith((".", "_")):
            yield Path(entry.path)


def _read(project: Project, lang: str, source: Path, files: ProjectFiles,
          problems: list[Problem], include_drafts: bool,
          ) -> tuple[frontmatter.FrontMatter, dict[str, Any]] | None:
    """Front matter with a valid title and shortcut, or None (the problems say why)."""
    shown = _shown(project, source)
    text = content.read_source(project.config, source, shown, problems, files)
    if text is None:
        return None
    fm = frontmatter.split(text, shown)
    readable = fm.readable  # check_fields adds its problems to the same list
    fields = frontmatter.check_fields(fm, shown, frontmatter.REPLY_FIELDS, set())
    if readable:
        _check_shortcut(fm, fields, shown)
        _check_sizes(fm, fields, shown)
    problems.extend(fm.problems)
    if fm.problems or (fields.get("draft") and not include_drafts):
        return None
    return fm, fields


def _check_sizes(fm: frontmatter.FrontMatter, fields: dict[str, Any], shown: str) -> None:
    problems = fm.problems
    title = fields.get("title", "")
    if len(title) > MAX_TITLE_CHARS:
        problems.append(Problem(shown, fm.line_of("title"), f"title: {len(title)} characters, "
                                f"over the limit of {MAX_TITLE_CHARS}"))
    tags = fields.get("tags", ())
    if len(tags) > MAX_TAGS:
        problems.append(Problem(shown, fm.line_of("tags"),
                                f"tags: {len(tags)} tags, over the limit of {MAX_TAGS}"))
    for tag in tags:
        if len(tag) > MAX_TAG_CHARS:
            problems.append(Problem(shown, fm.line_of("tags"), f"tags: '{tag[:20]}…' is over "
                                    f"the limit of {MAX_TAG_CHARS} characters"))


def _check_shortcut(fm: frontmatter.FrontMatter, fields: dict[str, Any], shown: str) -> None:
    problems = fm.problems
    if "shortcut" not in fm.fields:
        problems.append(Problem(shown, 2, "shortcut: missing (required: the word an operator "
                                          "types to find this reply, e.g. 'shortcut: refund')"))
        return
    shortcut = fields.get("shortcut")
    if shortcut is None:
        return  # not text: frontmatter.check_fields said so
    line = fm.line_of("shortcut")
    if not shortcut:
        problems.append(Problem(shown, line, "shortcut: must not be empty"))
    elif len(shortcut) > MAX_SHORTCUT_CHARS:
        problems.append(Problem(shown, line, f"shortcut: {len(shortcut)} characters, over the "
                                             f"limit of {MAX_SHORTCUT_CHARS}"))
    elif not _SHORTCUT.fullmatch(unicodedata.normalize("NFC", shortcut)):
        problems.append(Problem(shown, line, f"shortcut: '{shortcut}' must be one word "
                                             "(letters and digits; - _ . + inside it)"))


def _claim_shortcut(shortcut: str, shown: str, line: int, taken: dict[str, tuple[str, int]],
                    problems: list[Problem]) -> bool:
    """Operators find a reply by its shortcut, so one language can't have two that an
    operator would type the same way (case, or composed and decomposed letters)."""
    key = _folded(shortcut)
    first = taken.get(key)
    if first is None:
        taken[key] = (shown, line)
        return True
    problems.append(Problem(shown, line, f"shortcut: '{shortcut}' is already used by "
                                         f"{first[0]}:{first[1]} (shortcuts are compared "
                                         "ignoring case)"))
    return False


def _folded(shortcut: str) -> str:
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", shortcut).casefold())


def _render(project: Project, lang: str, source: Path, shown: str, fm: frontmatter.FrontMatter,
            fields: dict[str, Any], renderer: MarkdownRenderer, titles: dict[str, str],
            problems: list[Problem]) -> Reply:
    title = _variables(fields["title"], shown, fm.line_of("title"), problems)
    body_text = _variables(fm.body, shown, fm.body_line, problems)
    parsed = renderer.parse(body_text, first_line=fm.body_line)
    resolver = LinkResolver(project.links, source, "/", frozenset(parsed.anchors), shown)
    links = _Links(project, resolver, titles)
    body = chat_text(parsed.tokens, links.resolve)
    problems.extend(resolver.problems)
    problems.extend(check_anchors(shown, resolver.checks, project.anchors))
    if not body:
        problems.append(Problem(shown, fm.body_line, "the reply is empty: write its text "
                                                     "under the front matter"))
    elif len(body) > MAX_BODY_CHARS:
        problems.append(Problem(shown, fm.body_line, f"the reply is {len(body)} characters "
                                f"long, over the limit of {MAX_BODY_CHARS} for a chat message"))
    return Reply(lang=lang, id=f"{lang}/{source.stem}", title=title,
                 shortcut=unicodedata.normalize("NFC", fields["shortcut"]),
                 tags=fields.get("tags", ()), body=body, links=tuple(links.found),
                 source_rel=shown)


def _variables(text: str, shown: str, first_line: int, problems: list[Problem]) -> str:
    """`text` with every `{{ name }}` written `{{name}}`; an unknown name is a problem."""
    def replace(match: re.Match[str]) -> str:
        name = match.group(1).strip()
        if name in VARIABLES:
            return "{{" + name + "}}"
        line = first_line + text.count("\n", 0, match.start())
        known = ", ".join("{{" + v + "}}" for v in VARIABLES)
        problems.append(Problem(shown, line, f"unknown variable {match.group(0)[:60]} "
                                             f"(known: {known})"))
        return match.group(0)

    return _VARIABLE.sub(replace, text)


@dataclass
class _Links:
    """Resolves a reply's links as the article pages' links are resolved (same checks, same
    messages) and writes them as public URLs: a chat message is read off the site."""

    project: Project
    resolver: LinkResolver
    titles: dict[str, str]  # page key → title
    found: list[ReplyLink] = field(default_factory=list)

    def resolve(self, token: Token) -> str:
        ref = token.meta.get("ref")
        if ref is None:  # external (http:, mailto:), kept as written
            return str(token.attrs.get("href") or token.attrs.get("src") or "")
        site_path = self.resolver(ref)  # "ru/nds/x/#sroki" from the site root, or None
        if site_path is None:
            return ""  # broken (the resolver has the problem) or an anchor on the reply itself
        url = self._public(site_path)
        target = self.project.links.pages.get(_target_path(self.resolver.source, ref.href))
        if target is not None and ref.kind == "link" and all(x.url != url for x in self.found):
            self.found.append(ReplyLink(self.titles.get(target.key, ""), url))
        return url

    def _public(self, site_path: str) -> str:
        # Without site.base_url there is no public address: site-root-relative is the best
        # the sidecar can get (it serves the site itself in `make run`).
        base: str = self.project.config["site.base_url"] or "/"
        return base + site_path


def _target_path(source: Path, href: str) -> str:
    """The file a relative link points at, as `LinkResolver` works it out."""
    path_part = href.partition("#")[0].partition("?")[0]
    return os.path.normpath(os.path.join(source.parent, unquote(path_part)))


def _shown(project: Project, path: Path) -> str:
    """Paths in messages and in `source` are relative to the project folder."""
    try:
        return path.relative_to(project.config.root).as_posix()
    except ValueError:
        return path.as_posix()


def _page_titles(project: Project) -> dict[str, str]:
    titles = {page_key(page): page.title for page in all_pages(project)}
    for site in project.sites.values():
        titles[str(project.config.content_dir / site.lang / content.INDEX)] = site.title
    return titles
