"""The one list of settings: it drives validation, defaults and the configuration reference.

Each `Setting` names a dotted key of `config.yml`, the kind of value it takes, its default and
a line of help. `builder.config.loader` validates against this list; `docs/configuration.md` is
generated from it (`python build.py config-reference`) and a test keeps the two in step.
Secrets never live here: they come from environment variables (chat_server/settings.py).
"""

from __future__ import annotations

from builder.config.kinds import (
    AUTHORS,
    BASE_URL,
    BOOL,
    COLOR,
    DATES,
    EDIT_URL,
    FOOTER_LINKS,
    GROUPS,
    LANGUAGES,
    LOCALIZED_TEXT,
    PATH,
    RETENTION,
    ROUTES,
    SECURE_URL,
    STRING,
    STRINGS,
    TAGS,
    TIME,
    TIMEZONE,
    TOPICS,
    URL,
    WEEKDAYS,
    Setting,
    choice,
    choices,
    integer,
)

SETTINGS: tuple[Setting, ...] = (
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
            "the chat sidecar assigns an article's sad ratings to the operator with that email. "
            "A name is one text or one per language ({ru: Анна Смирнова, en: Anna Smirnova}); "
            "a language without one shows the default language's."),
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
    # --- search (the `search:` section) -------------------------------------------------
    Setting("search.enabled", BOOL, True, "Build the search index and show the search box."),
    Setting("search.precompress", BOOL, True,
            "Write .gz and .br copies of the search files for hosts that serve them as they are "
            "(nginx gzip_static/brotli_static)."),
    # --- the chat sidecar (the `chat:` section) ----------------------------------------
    Setting("chat.url", URL, "",
            "Public URL of the chat sidecar, e.g. 'https://chat.example.com'. When set, every "
            "page gets the chat widget and article ratings; empty means no chat."),
    Setting("chat.timezone", TIMEZONE, "Europe/Moscow", "Time zone of the business hours."),
    Setting("chat.hours_start", TIME, "10:00", "Start of business hours."),
    Setting("chat.hours_end", TIME, "20:00", "End of business hours."),
    Setting("chat.workdays", WEEKDAYS, (1, 2, 3, 4, 5, 6, 7),
            "Working days, 1 = Monday .. 7 = Sunday."),
    Setting("chat.closed_dates", DATES, ("01-01", "01-02"),
            "Days off: 'MM-DD' every year or 'YYYY-MM-DD' once."),
    Setting("chat.reply_minutes", integer(1, 10080), 15,
            "The promised time to a first answer, shown in the widget."),
    Setting("chat.default_group", STRING, "support",
            "Operator group that gets conversations no rule in chat.routes sends elsewhere "
            "(and that have no article author to go to)."),
    Setting("chat.groups", GROUPS, {},
            "Operator groups (teams): title (text or {lang: text}), capacity (open "
            "conversations round-robin gives one operator, default 5), auto_assign (true: "
            "new conversations go round-robin to the group's online operators; false: they "
            "wait in the group's queue). Operators join groups with add-operator --groups."),
    Setting("chat.topics", TOPICS, (),
            "What the widget asks a reader their question is about before the first message "
            "(id, title as text or {lang: text}); chat.routes can send each topic to a group. "
            "Empty: the widget asks nothing."),
    Setting("chat.tags", TAGS, (),
            "The team's tags for conversations: name (lowercase, up to 40 characters), colour "
            "('#rrggbb'), description (text or {lang: text}). Admins add more in the operator "
            "page. Automatic tags (first-contact, returning, after-hours, sad-rating, "
            "failed-search, collection:…, kind:…) are added by the sidecar."),
    Setting("chat.routes", ROUTES, (),
            "Which group a new conversation goes to, first matching rule wins: {group, lang, "
            "collection (the article's), path (a prefix of the page's path), topic (what the "
            "reader picked)}; every field a rule names must match."),
    Setting("chat.data_dir", STRING, "data",
            "Folder (relative to config.yml) for the SQLite database and attachments."),
    Setting("chat.allowed_origins", STRINGS, (),
            "Extra origins (scheme://host[:port]) allowed to open the widget's websocket and "
            "post ratings; the origin of site.base_url and the sidecar's own are always allowed."),
    Setting("chat.identity_required", BOOL, False,
            "Only accept readers identified by user_id + user_hash (HMAC-SHA256 with the "
            "CHAT_IDENTITY_SECRET environment variable); anonymous readers are refused."),
    Setting("chat.identity_url", SECURE_URL, "",
            "An endpoint of your product, e.g. 'https://app.example.com/api/help-identity', "
            "that the widget asks (with the reader's cookies, CORS) who is logged in before "
            "it first connects: a JSON {user_id, user_hash, name, email, attributes} names "
            "them, anything else leaves them anonymous. https only (http for localhost); the "
            "pages' Content-Security-Policy allows its origin. Empty: no such request."),
    Setting("chat.email_from", STRING, "",
            "Sender address of offline replies by email; empty means no email is sent."),
    Setting("chat.attachments_reader_mib_per_day", integer(1, 100_000), 50,
            "MiB of attachments one reader may upload in 24 hours."),
    Setting("chat.attachments_address_mib_per_day", integer(1, 1_000_000), 200,
            "MiB of attachments readers may upload from one client address in 24 hours."),
    Setting("chat.attachments_total_mib", integer(1, 100_000_000), 10_240,
            "MiB all attachments together may take in the data folder; past it uploads are "
            "refused until files are removed."),
    Setting("chat.retention", RETENTION, {},
            "How long conversations are kept (personal-data law): {days: N, mode: delete "
            "(default) or anonymise}. The running sidecar applies it once a day (one process of "
            "several); `python -m chat_server retention` runs it by hand. 'delete' removes a "
            "conversation whose last activity is older than N days with its messages, notes, "
            "attachments and search-index rows; 'anonymise' keeps its shape for reports and "
            "replaces every text. Either way readers not seen for N days with nothing left "
            "are removed. Empty (default): everything is kept."),
    Setting("chat.attachments_kinds",
            choices("image", "pdf", "office", "csv", "text", "archive"),
            ("image", "pdf", "office", "csv", "text", "archive"),
            "What readers and operators may attach, told from the file's bytes: image (PNG, "
            "JPEG, GIF, WebP), pdf, office (docx, xlsx, pptx, odt, ods, doc, xls), csv, text "
            "(UTF-8 or UTF-16), archive (zip, 7z, gz). HTML, SVG, XML and scripts never pass."),
)

SETTINGS_BY_KEY: dict[str, Setting] = {s.key: s for s in SETTINGS}
SECTIONS: frozenset[str] = frozenset(s.section for s in SETTINGS)
