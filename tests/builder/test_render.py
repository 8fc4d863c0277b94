"""Rendering the model into pages: what a reader sees, and that every link leads somewhere."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from builder.config.loader import Config, load_config
from builder.model import Article, Collection, GitInfo, Heading, LanguageSite
from builder.render import Renderer
from builder.theme import Theme

MSK = timezone(timedelta(hours=3))


class RecordingOutput:
    """Stands in for builder.output.SiteOutput: keeps what was added, refuses duplicates."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.sources: dict[str, str] = {}

    def add(self, rel_path: str, data: bytes | str, source: str) -> None:
        assert rel_path not in self.files, f"{rel_path} from {source} and {self.sources[rel_path]}"
        self.files[rel_path] = data.encode() if isinstance(data, str) else data
        self.sources[rel_path] = source

    def text(self, rel_path: str) -> str:
        return self.files[rel_path].decode()


def make_project(
    root: Path, extra: str = "", base_url: str = "https://help.example.com/"
) -> Config:
    root.mkdir(parents=True, exist_ok=True)
    (root / "logo.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"/>', encoding="utf-8")
    (root / "config.yml").write_text(
        f"""site:
  title: Бухгалтерия Онлайн
  description: Ответы на вопросы
  base_url: "{base_url}"
  edit_url: https://git.example.com/edit/main/{{path}}
  cname: help.example.com
languages: [ru, en]
brand:
  logo: logo.svg
  primary_color: "#0f766e"
  footer_links:
    - title: {{ru: Политика, en: Privacy}}
      url: https://example.com/privacy
authors:
  anna: {{name: Анна Смирнова}}
{extra}""",
        encoding="utf-8",
    )
    return load_config(root / "config.yml")


def make_sites(config: Config, dated: bool = True) -> dict[str, LanguageSite]:
    """ru and en: nds (with nested nds/vychety) and oplata; every page translated."""
    sites: dict[str, LanguageSite] = {}
    for lang in ("ru", "en"):

        def collection(
            path: str,
            title: str,
            icon: str = "",
            parent: Collection | None = None,
            order: int | None = None,
            lang: str = lang,
        ) -> Collection:
            c = Collection(
                lang=lang,
                path=path,
                source=Path(f"/p/content/{lang}/{path}"),
                source_rel=f"content/{lang}/{path}/_index.md",
                title=title,
                description=f"{title} description",
                url=f"/{lang}/{path}/",
                icon=icon,
                parent=parent,
                order=order,
            )
            if parent is not None:
                parent.children.append(c)
            return c

        def article(
            c: Collection, slug: str, title: str, order: int | None, day: int, lang: str = lang
        ) -> Article:
            a = Article(
                lang=lang,
                path=f"{c.path}/{slug}",
                source=Path(f"/p/{slug}.md"),
                source_rel=f"content/{lang}/{c.path}/{slug}.md",
                title=title,
                description=f"About {slug}",
                order=order,
                url=f"/{lang}/{c.path}/{slug}/",
                id=f"{c.path}/{slug}",
                slug=slug,
                collection=c,
                author=config.authors["anna"],
                git=GitInfo(datetime(2026, 11, day, 12, tzinfo=MSK), f"c0ffee{day:02d}")
                if dated
                else None,
                body_html='<h2 id="sroki">Сроки</h2><p>Text</p><h3 id="shtrafy">Штрафы</h3>'
                '<h4 id="deep">Deep</h4>',
                headings=[
                    Heading(2, "Сроки", "sroki"),
                    Heading(3, "Штрафы", "shtrafy"),
                    Heading(4, "Deep", "deep"),
                ],
            )
            c.articles.append(a)
            return a

        nds = collection("nds", "НДС", "🧾", order=1)
        vychety = collection("nds/vychety", "Вычеты", parent=nds)
        oplata = collection("oplata", "Оплата <script>x</script>", order=2)
        articles = [
            article(nds, "deklaraciya", "Как подать декларацию", 1, 20),
            article(nds, "stavki", "Ставки <script>alert(1)</script>", 2, 18),
            article(vychety, "vychet", "Как получить вычет", None, 15),
            article(oplata, "schet", "Оплата по счёту", None, 5),
        ]
        sites[lang] = LanguageSite(
            lang=lang,
            title=f"Help {lang}",
            description="Ответы",
            intro_html="<p>Intro</p>",
            collections=[nds, oplata],
            articles=sorted(articles, key=lambda a: a.path),
            url=f"/{lang}/",
        )
    ru, en = sites["ru"], sites["en"]
    en_pages = {p.path: p for p in [*en.all_collections(), *en.articles]}
    for page in [*ru.all_collections(), *ru.articles]:
        page.translations["en"] = en_pages[page.path]
        en_pages[page.path].translations["ru"] = page
    return sites


@pytest.fixture
def built(tmp_path: Path) -> RecordingOutput:
    config = make_project(tmp_path)
    site_out = RecordingOutput()
    Renderer(config, make_sites(config), site_out, Theme(config), None).render_all()
    return site_out


class Links(HTMLParser):
    """Every href/src of a page, plus the text of elements we assert on."""

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("href", "src", "action"):
            if found.get(name):
                self.refs.append((tag, str(found[name]), found))


def refs_of(html: str) -> list[tuple[str, str, dict[str, str | None]]]:
    parser = Links()
    parser.feed(html)
    return parser.refs


def test_article_page_shows_what_a_reader_needs(built: RecordingOutput) -> None:
    html = built.text("ru/nds/deklaraciya/index.html")
    assert '<html lang="ru" data-root="../../../">' in html
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', html, re.S)
    assert crumbs is not None
    assert re.findall(r'<a href="([^"]+)">([^<]+)</a>', crumbs.group(0)) == [
        ("../../../ru/", "Главная"),
        ("../../../ru/nds/", "НДС"),
    ]
    assert '<span aria-current="page">Как подать декларацию</span>' in crumbs.group(0)
    toc = re.search(r'<ol class="toc-list">.*?</ol>', html, re.S)
    assert toc is not None
    assert re.findall(r'href="(#[^"]+)"', toc.group(0)) == ["#sroki", "#shtrafy"]  # no h4
    assert '<time datetime="2026-11-20">20 ноября 2026</time>' in html
    assert "Анна Смирнова" in html
    assert 'href="https://git.example.com/edit/main/content/ru/nds/deklaraciya.md"' in html
    assert (
        '<a href="../../../en/nds/deklaraciya/" hreflang="en" lang="en" data-translation="en">'
        in html
    )
    # "More in this topic": the other article of the collection, not itself.
    related = html.split('class="related"', 1)[1]
    assert "../../../ru/nds/stavki/" in related and "ru/nds/deklaraciya/" not in related


def test_english_article_dates_and_strings(built: RecordingOutput) -> None:
    html = built.text("en/nds/deklaraciya/index.html")
    assert '<time datetime="2026-11-20">November 20, 2026</time>' in html
    assert "On this page" in html and 'lang="en"' in html


def test_head_has_canonical_hreflang_and_open_graph(built: RecordingOutput) -> None:
    html = built.text("ru/nds/deklaraciya/index.html")
    assert '<link rel="canonical" href="https://help.example.com/ru/nds/deklaraciya/">' in html
    for code in ("ru", "en"):
        url = f"https://help.example.com/{code}/nds/deklaraciya/"
        assert f'<link rel="alternate" hreflang="{code}" href="{url}">' in html
    assert '<meta property="og:url" content="https://help.example.com/ru/nds/deklaraciya/">' in html
    assert '<meta property="og:type" content="article">' in html


def test_titles_are_escaped(built: RecordingOutput) -> None:
    for path in (
        "ru/nds/stavki/index.html",
        "ru/nds/index.html",
        "ru/index.html",
        "ru/oplata/index.html",
    ):
        html = built.text(path)
        assert "<script>alert(1)</script>" not in html and "<script>x</script>" not in html
    assert "Ставки &lt;script&gt;alert(1)&lt;/script&gt;" in built.text("ru/nds/stavki/index.html")


def test_every_link_is_relative_and_resolves(built: RecordingOutput) -> None:
    absolute_ok = ("canonical", "alternate")
    for path, data in built.files.items():
        # The 404 pages (404.html, ru/404.html…) are served at any depth: they link from the root.
        if not path.endswith(".html") or path.rsplit("/", 1)[-1] == "404.html":
            continue
        base = "http://site/" + path
        for tag, ref, attrs in refs_of(data.decode()):
            if tag == "link" and attrs.get("rel") in absolute_ok:
                continue
            if ref.startswith(("https://", "mailto:")) or ref.startswith("#"):
                continue
            assert not ref.startswith("/"), f"{path}: root-absolute link {ref}"
            target = unquote(urlsplit(urljoin(base, ref)).path).removeprefix("/")
            if target == "" or target.endswith("/"):
                target += "index.html"
            assert target in built.files, f"{path}: {ref} → {target} was not written"


def test_home_lists_collections_with_nested_counts_and_recent_articles(
    built: RecordingOutput,
) -> None:
    html = built.text("ru/index.html")
    assert 'class="search-form search-form--big"' in html
    cards = re.findall(r'<h3 class="card-title">([^<]+)</h3>', html)
    assert cards == ["НДС", "Оплата &lt;script&gt;x&lt;/script&gt;"]
    assert "3 статьи" in html  # nds: two of its own + one in nds/vychety
    recent = html.split('id="recent-title"', 1)[1]
    titles = re.findall(r'article-row-title">([^<]+)<', recent)
    assert titles[0] == "Как подать декларацию" and len(titles) == 4


def test_home_hides_recent_articles_without_git_dates(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    site_out = RecordingOutput()
    renderer = Renderer(config, make_sites(config, dated=False), site_out, Theme(config), None)
    renderer.render_home("ru")
    assert list(site_out.files) == ["ru/index.html"]
    assert "recent-title" not in site_out.text("ru/index.html")


def test_collection_page_has_sections_and_ordered_articles(built: RecordingOutput) -> None:
    html = built.text("ru/nds/index.html")
    assert re.findall(r'article-row-title">([^<]+)<', html) == [
        "Как подать декларацию",
        "Ставки &lt;script&gt;alert(1)&lt;/script&gt;",
        "Как получить вычет",
    ]
    assert '<a href="../../ru/nds/vychety/">' in html
    nested = built.text("ru/nds/vychety/index.html")
    crumbs = re.search(r'<nav class="breadcrumbs".*?</nav>', nested, re.S)
    assert crumbs is not None and "../../../ru/nds/" in crumbs.group(0)


def test_every_page_has_a_header_search_form_to_its_language(built: RecordingOutput) -> None:
    for path in (
        "ru/index.html",
        "ru/nds/index.html",
        "en/nds/deklaraciya/index.html",
        "ru/search/index.html",
    ):
        html = built.text(path)
        lang = path[:2]
        root = "../" * path.count("/")
        assert f'action="{root}{lang}/search/"' in html
        assert 'name="q" data-search-input' in html
        assert '<label class="visually-hidden" for="search-header">' in html
    search = built.text("ru/search/index.html")
    assert 'id="search-page"' in search and '<meta name="robots" content="noindex">' in search


def test_language_switcher_links_to_the_translation(built: RecordingOutput) -> None:
    html = built.text("en/oplata/schet/index.html")
    assert 'href="../../../ru/oplata/schet/" hreflang="ru" lang="ru" data-lang-link="ru"' in html
    assert 'data-lang-link="en" aria-current="true"' in html


def test_site_files(built: RecordingOutput) -> None:
    sitemap = built.text("sitemap.xml")
    assert "<loc>https://help.example.com/ru/nds/deklaraciya/</loc>" in sitemap
    assert (
        '<xhtml:link rel="alternate" hreflang="en" '
        'href="https://help.example.com/en/nds/deklaraciya/"/>' in sitemap
    )
    assert "<lastmod>2026-11-20</lastmod>" in sitemap
    assert "/search/" not in sitemap
    assert "Sitemap: https://help.example.com/sitemap.xml" in built.text("robots.txt")
    assert built.text("CNAME") == "help.example.com\n"
    manifest = json.loads(built.text("_data/articles.json"))
    assert manifest[0] == {
        "id": "nds/deklaraciya",
        "lang": "en",
        "title": "Как подать декларацию",
        "url": "/en/nds/deklaraciya/",
        "author": "anna",
        "author_name": "Анна Смирнова",  # one name for every language here
        "collection": "nds",
        "commit": "c0ffee20",
    }
    keys = [(m["id"], m["lang"]) for m in manifest]
    assert keys == sorted(keys)
    home = built.text("ru/index.html")
    assert '<link rel="alternate" hreflang="x-default" href="https://help.example.com/">' in home
    root = built.text("index.html")
    assert '<a href="ru/" hreflang="ru" lang="ru">Русский</a>' in root
    assert "navigator.languages" in root
    not_found = built.text("404.html")
    assert 'href="/assets/css/site.' in not_found and 'href="/ru/"' in not_found


def test_without_base_url_no_canonical_and_no_sitemap(tmp_path: Path) -> None:
    config = make_project(tmp_path, base_url="")
    site_out = RecordingOutput()
    Renderer(config, make_sites(config), site_out, Theme(config), None).render_all()
    assert "sitemap.xml" not in site_out.files
    assert "Sitemap:" not in site_out.text("robots.txt")
    html = site_out.text("ru/nds/deklaraciya/index.html")
    assert 'rel="canonical"' not in html and "og:url" not in html
    assert '<link rel="alternate" hreflang="en" href="../../../en/nds/deklaraciya/">' in html


def test_assets_are_hashed_and_linked(built: RecordingOutput) -> None:
    html = built.text("ru/nds/index.html")
    css = re.search(r'href="\.\./\.\./(assets/css/site\.[0-9a-f]{8}\.css)"', html)
    highlight = re.search(r'href="\.\./\.\./(assets/css/highlight\.[0-9a-f]{8}\.css)"', html)
    logo = re.search(r'src="\.\./\.\./(assets/brand/logo\.[0-9a-f]{8}\.svg)"', html)
    assert css and highlight and logo
    assert {css.group(1), highlight.group(1), logo.group(1)} <= set(built.files)
    assert b".highlight" in built.files[highlight.group(1)]
    assert '<link rel="icon" href="../../assets/brand/logo.' in html  # no favicon: the logo
    assert "--brand-primary:#0f766e" in html


def test_project_partials_plug_into_articles_and_chat_scripts(tmp_path: Path) -> None:
    config = make_project(tmp_path, extra="chat:\n  url: https://chat.example.com\n")
    partials = tmp_path / "themes/templates/partials"
    partials.mkdir(parents=True)
    (partials / "feedback.html").write_text("<p data-rate>{{ article.id }}</p>", encoding="utf-8")
    (partials / "chat_scripts.html").write_text("<script data-chat></script>", encoding="utf-8")
    site_out = RecordingOutput()
    renderer = Renderer(config, make_sites(config), site_out, Theme(config), None)
    site = renderer.sites["ru"]
    renderer.render_article(site.articles[0])
    renderer.render_collection(site.collections[0])
    article = site_out.text("ru/nds/deklaraciya/index.html")
    assert "<p data-rate>nds/deklaraciya</p>" in article
    assert "<script data-chat></script>" in article
    assert "data-chat" in site_out.text("ru/nds/index.html")


def test_no_chat_scripts_without_chat_url(built: RecordingOutput) -> None:
    assert "data-chat" not in built.text("ru/nds/deklaraciya/index.html")


def test_output_is_byte_identical(tmp_path: Path, built: RecordingOutput) -> None:
    config = make_project(tmp_path / "again")
    again = RecordingOutput()
    Renderer(config, make_sites(config), again, Theme(config), None).render_all()
    assert again.files == built.files


def test_rendering_is_fast(tmp_path: Path) -> None:
    config = make_project(tmp_path)
    sites = make_sites(config)
    renderer = Renderer(config, sites, RecordingOutput(), Theme(config), None)
    article = sites["ru"].articles[0]
    renderer.render_article(article)  # warm up
    renderer.site_out = RecordingOutput()
    rounds = 200
    started = time.perf_counter()
    for index in range(rounds):
        article.url = f"/ru/nds/copy-{index}/"
        renderer.render_article(article)
    per_page = (time.perf_counter() - started) / rounds
    # The target is ~1 ms per page; the bound leaves room for a busy shared machine.
    assert per_page < 0.02, f"{per_page * 1000:.1f} ms per article page"


def test_custom_css_comes_after_the_theme_and_favicon_is_its_own(tmp_path: Path) -> None:
    (tmp_path / "brand.css").write_text(":root{--color-primary:#000}", encoding="utf-8")
    (tmp_path / "favicon.png").write_bytes(b"\x89PNG fake")
    config = make_project(tmp_path, extra="")
    text = (tmp_path / "config.yml").read_text(encoding="utf-8")
    text = text.replace(
        "  logo: logo.svg\n", "  logo: logo.svg\n  favicon: favicon.png\n  custom_css: brand.css\n"
    )
    (tmp_path / "config.yml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "config.yml")
    site_out = RecordingOutput()
    renderer = Renderer(config, make_sites(config), site_out, Theme(config), None)
    renderer.render_home("en")
    renderer.copy_assets()
    html = site_out.text("en/index.html")
    theme_css = html.index("assets/css/site.")
    brand_colours = html.index("--brand-primary")
    custom = html.index("assets/brand/custom.")
    assert theme_css < brand_colours < custom
    assert re.search(
        r'<link rel="icon" href="\.\./assets/brand/favicon\.[0-9a-f]{8}\.png" '
        r'type="image/png">',
        html,
    )
    assert any(p.startswith("assets/brand/custom.") for p in site_out.files)
    favicon = next(p for p in site_out.files if "favicon" in p)
    assert site_out.sources[favicon] == "config:brand.favicon"
    assert 'href="https://example.com/privacy">Privacy</a>' in html  # footer link, in English


def test_sample_site_links_all_resolve(tmp_path: Path) -> None:
    """The real pipeline on the repository's sample: theme links and body links alike."""
    from builder.pipeline import build

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "site"
    build(root / "config.yml", out)
    written = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    broken = []
    for path in sorted(p for p in written if p.endswith(".html") and p != "404.html"):
        for tag, ref, attrs in refs_of((out / path).read_text(encoding="utf-8")):
            if tag == "link" and attrs.get("rel") in ("canonical", "alternate"):
                continue
            if ref.startswith(("https://", "http://", "mailto:", "#")):
                continue
            target = unquote(urlsplit(urljoin("http://site/" + path, ref)).path).lstrip("/")
            if target == "" or target.endswith("/"):
                target += "index.html"
            if target not in written:
                broken.append(f"{path}: {ref}")
    assert not broken, "\n".join(broken[:20])
