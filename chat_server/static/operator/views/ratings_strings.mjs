/* The ratings view's own words, Russian and English (views/reports.mjs, Ratings): kept beside
 * the view like search_strings.mjs; a missing key shows the English word, and both tables
 * have the same keys. */

const en = {
  ratings_views: "Views, 30 days", ratings_views_total: "{count} in all",
  ratings_views_hint: "Page views counted without cookies; readers asking not to be tracked are not counted.",
  ratings_none: "No article has been rated or viewed yet.",
};

const ru = {
  ratings_views: "Просмотры за 30 дней", ratings_views_total: "всего {count}",
  ratings_views_hint: "Просмотры считаются без cookies; читатели, попросившие не отслеживать их, не учитываются.",
  ratings_none: "Статьи пока не оценивали и не открывали.",
};

export const RATINGS_STRINGS = { en: en, ru: ru };

/* The word for `key` in `lang`; {name}-style holes filled from `fill`. */
export function sayR(lang, key, fill) {
  const text = (RATINGS_STRINGS[lang] || en)[key] || en[key] || key;
  return fill ? text.replace(/\{(\w+)\}/g, (_, k) => String(fill[k] ?? "")) : text;
}
