"""A small hand-made help centre the search tests share."""

from __future__ import annotations

from pathlib import Path

from builder.model import Article, Collection, LanguageSite, Section


def sample_site(lang: str = "ru") -> LanguageSite:
    """A small hand-made help centre: taxes, a nested collection, Latin words, ё, a draft."""
    root = Path("/sample")
    site = LanguageSite(lang=lang, title="Справка", url=f"/{lang}/")
    taxes = Collection(lang, "nalogi", root / "nalogi", f"content/{lang}/nalogi/_index.md",
                       "Налоги", "Всё о налогах и отчётности", url=f"/{lang}/nalogi/")  # fmt: skip
    vat = Collection(lang, "nalogi/nds", root / "nds", f"content/{lang}/nalogi/nds/_index.md",
                     "НДС", "Налог на добавленную стоимость", url=f"/{lang}/nalogi/nds/",
                     parent=taxes)  # fmt: skip
    taxes.children.append(vat)
    cloud = Collection(lang, "cloud", root / "cloud", f"content/{lang}/cloud/_index.md",
                       "Облако", "Серверы и диски", url=f"/{lang}/cloud/")  # fmt: skip
    site.collections = [cloud, taxes]

    def article(
        coll: Collection, slug: str, title: str, sections: list[Section], **kw: object
    ) -> Article:
        path = f"{coll.path}/{slug}"
        made = Article(lang, path, root / f"{path}.md", f"content/{lang}/{path}.md", title,
                       url=f"/{lang}/{path}/", id=path, slug=slug, collection=coll,
                       sections=sections, **kw)  # type: ignore[arg-type]  # fmt: skip
        coll.articles.append(made)
        site.articles.append(made)
        return made

    article(vat, "deklaraciya", "Налоговая декларация по НДС", [
        Section(None, "", "Декларацию по НДС подают в ФНС в электронном виде."),
        Section("deadlines", "Сроки подачи", "Декларацию сдают до 25 числа месяца после квартала."),
        Section("uchet", "Учёт расходов", "Отчётность фирмы и учёт расходов ведут в программе."),
    ], description="Как заполнить и подать декларацию", keywords=("3-НДФЛ", "отчет"))  # fmt: skip
    article(vat, "vychet", "Налоговый вычет", [
        Section(None, "", "Вычет уменьшает налог. Объём вычета зависит от расходов."),
    ])  # fmt: skip
    article(cloud, "disk", "Объем диска виртуальной машины", [
        Section(None, "", "Размер диска можно увеличить в личном кабинете."),
        Section("kubernetes", "Диски в Kubernetes", "Persistent volumes for pods pay per day."),
    ])  # fmt: skip
    article(cloud, "secret", "Черновик", [Section(None, "", "секретный черновик")], draft=True)
    site.articles.sort(key=lambda a: a.path)
    return site
