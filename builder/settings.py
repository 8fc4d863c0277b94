"""The one list of settings: it drives validation, defaults and the configuration reference.

Each `Setting` names a dotted key of `config.yml`, the kind of value it takes, its default and
a line of help. `builder.config` validates against this list; `docs/configuration.md` is
generated from it (`python build.py config-reference`) and a test keeps the two in step.
Search and chat keep their settings in `settings_search.py` and `settings_chat.py`.
"""

from __future__ import annotations

from builder.setting_kinds import (
    AUTHORS,
    BASE_URL,
    COLOR,
    EDIT_URL,
    FOOTER_LINKS,
    LANGUAGES,
    LOCALIZED_TEXT,
    PATH,
    STRING,
    Setting,
    choice,
    integer,
)
from builder.settings_chat import CHAT_SETTINGS
from builder.settings_search import SEARCH_SETTINGS

CORE_SETTINGS: tuple[Setting, ...] = (
    # --- the site ---------------------------------------------------------------------------
    Setting("site.title", LOCALIZED_TEXT, None,
            "Name of the help center, shown in the header and titles: one text, or one per "
            "language ({ru: ..., en: ...}; a language without one uses the default language's).",
            required=True),
    Setting("site.description", STRING, "", "One line about the help center (meta description)."),
    Setting("site.base_url", BASE_URL, "",
            "Public URL of the site, e.g. 'https://help.example.com/'. Needed for canonical "
            "links, Open Graph and sitemap.xml; without it pages link relatively only."),
    Setting("site.cname", STRING, "",
            "Custom domain written to a CNAME file (GitHub Pages and similar hosts)."),
    Setting("site.edit_url", EDIT_URL, "",
            "Template of an 'edit this article' link; {path} becomes the article's path in the "
            "repository, e.g. 'https://git.example.com/help/edit/main/{path}'."),
    Setting("site.recent_count", integer(0, 50), 6,
            "How many recently updated articles the home page lists."),
    Setting("languages", LANGUAGES, ("en",),
            "Languages of the help center; the first is the default. Each has content/<code>/."),
    Setting("authors", AUTHORS, {},
            "Article authors: key → name, email, avatar. Front matter `author:` names a key; "
            "the chat sidecar assigns an article's sad ratings to the operator with that email."),
    # --- branding ---------------------------------------------------------------------------
    Setting("brand.logo", PATH, "", "Logo image shown in the header (SVG or PNG)."),
    Setting("brand.favicon", PATH, "", "Favicon (SVG, PNG or ICO); the logo when not set."),
    Setting("brand.primary_color", COLOR, "#2563eb", "Main colour: header, links, buttons."),
    Setting("brand.accent_color", COLOR, "#f59e0b", "Accent colour: highlights and badges."),
    Setting("brand.custom_css", PATH, "", "A CSS file added after the theme's own styles."),
    Setting("brand.footer_links", FOOTER_LINKS, (),
            "Links in the footer (legal, contacts): title (a string or {lang: string}) and url."),
    # --- markdown ---------------------------------------------------------------------------
    Setting("markdown.raw_html", choice("sanitize", "trusted", "escape"), "sanitize",
            "HTML written in articles: 'sanitize' keeps formatting (tables, details, img, "
            "links) and drops scripts, styles, iframes, event handlers and javascript: links; "
            "'trusted' publishes it as written, for teams whose every writer may change how "
            "the site behaves (inline scripts still do not run: the pages' "
            "Content-Security-Policy refuses them); 'escape' shows it as text."),
    # --- the build --------------------------------------------------------------------------
    Setting("build.max_article_bytes", integer(1024, 1024 ** 3), 2 * 1024 * 1024,
            "Largest article (or _index.md) file in bytes; a bigger one is an error instead of "
            "minutes of rendering. The default, 2 MB, is 18 times the largest article of the "
            "corpora we test on."),
)

SETTINGS: tuple[Setting, ...] = (*CORE_SETTINGS, *SEARCH_SETTINGS, *CHAT_SETTINGS)
SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
SECTIONS: frozenset[str] = frozenset(s.section for s in SETTINGS)
