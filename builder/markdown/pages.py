"""The markdown stage's view of a project: one job per page, the link index the jobs resolve
against, and the rendered HTML, headings and sections put back on the pages."""

from __future__ import annotations

from pathlib import Path

from builder.markdown.links import LinkTarget, check_anchors
from builder.markdown.stage import (
    PageJob,
    PageOutput,
)
from builder.model import Article, Collection, Page, Project, all_pages
from builder.theme import Theme


def markdown_strings(theme: Theme, lang: str) -> dict[str, str]:
    """The UI words the markdown stage writes into pages: callout titles, the heading-link
    label; and the project's raw HTML policy, which changes pages as much."""
    label = theme.strings(lang).get("heading_anchor_label", "")
    return {**theme.container_titles(lang), "_anchor_label": label,
            "_raw_html": theme.config["markdown.raw_html"]}


def markdown_jobs(project: Project) -> dict[str, PageJob]:
    jobs: dict[str, PageJob] = {}
    for page in all_pages(project):
        key = page_key(page)
        jobs[key] = PageJob(key, page.lang, page.url, page.source_rel, page.body_text,
                            page.body_line)
    for site in project.sites.values():
        key = str(project.config.content_dir / site.lang / "_index.md")
        jobs[key] = PageJob(key, site.lang, site.url, site.source_rel or key, site.intro_text,
                            site.intro_line)
    return jobs


def apply_outputs(project: Project, jobs: dict[str, PageJob],
                   outputs: dict[str, PageOutput]) -> None:
    anchors_of = project.anchors
    anchors_of.update({key: output.anchors for key, output in outputs.items()})
    for page in all_pages(project):
        output = outputs[page_key(page)]
        page.body_html = output.html
        if isinstance(page, Article):
            page.headings = output.headings
            page.sections = output.sections
    for site in project.sites.values():
        key = str(project.config.content_dir / site.lang / "_index.md")
        site.intro_html = outputs[key].html
    for key, output in outputs.items():
        project.anchor_checks[key] = (jobs[key].shown, output.checks)
        project.problems.extend(output.problems)
        project.problems.extend(check_anchors(jobs[key].shown, output.checks, anchors_of))


def page_key(page: Page) -> str:
    """A page's identity in the markdown cache and link index: its source file's path."""
    if isinstance(page, Collection):
        folder = page.source.parent if page.source.name == "_index.md" else page.source
        return str(folder / "_index.md")
    return str(page.source)


def index_links(project: Project) -> None:
    index = project.links
    for page in all_pages(project):
        key = page_key(page)
        target = LinkTarget(page.url, key, page.source_rel)
        index.pages[key] = target
        if isinstance(page, Collection):
            index.pages[str(Path(key).parent)] = target
    for site in project.sites.values():
        home = project.config.content_dir / site.lang
        key = str(home / "_index.md")
        target = LinkTarget(site.url, key, site.source_rel or f"content/{site.lang}/")
        index.pages[key] = target
        index.pages[str(home)] = target
    for asset in project.assets:
        index.files[str(asset.source)] = "/" + asset.out_path
