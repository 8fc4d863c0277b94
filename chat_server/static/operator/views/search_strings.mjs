/* The search view's words, Russian and English (views/search.mjs). Kept beside the view, not
 * in strings.mjs, so the view comes as one piece; the same rules: a missing key shows the
 * English word, and both tables have the same keys. */

const en = {
  search_title: "Search conversations", search_q: "Words", search_q_placeholder: "payment, refund, order 4821…",
  search_go: "Search", search_reset: "Clear", search_tag: "Tag", search_operator: "Operator",
  search_group: "Group", search_state: "State", search_from: "Started from", search_to: "to",
  search_rating: "Rating", search_any: "Any", search_anyone: "Anyone", search_unassigned: "Unassigned",
  state_open: "Open", state_snoozed: "Snoozed", state_closed: "Closed",
  rating_happy: "😀 happy", rating_neutral: "😐 neutral", rating_sad: "😞 sad",
  search_total: "{from}–{to} of {total}", search_none: "No conversations match.",
  search_loading: "Searching…", search_prev: "Previous", search_next: "Next",
  search_csv: "CSV", search_xlsx: "Excel", search_export: "Export all results (up to 10,000 rows):",
  search_note: "note", search_started: "started {time}", search_active: "last activity {time}",
  search_anonymous: "Anonymous reader", search_failed: "The search failed ({code}).",
  search_bad_q: "The words are too long (200 characters at most).",
  search_bad_from: "The start date is not a date.", search_bad_to: "The end date is before the start or not a date.",
  search_dates_utc: "Dates are UTC days.",
};

const ru = {
  search_title: "Поиск по разговорам", search_q: "Слова", search_q_placeholder: "оплата, возврат, заказ 4821…",
  search_go: "Найти", search_reset: "Сбросить", search_tag: "Метка", search_operator: "Оператор",
  search_group: "Группа", search_state: "Состояние", search_from: "Начат с", search_to: "по",
  search_rating: "Оценка", search_any: "Любая", search_anyone: "Любой", search_unassigned: "Без ответственного",
  state_open: "Открыт", state_snoozed: "Отложен", state_closed: "Закрыт",
  rating_happy: "😀 понравилось", rating_neutral: "😐 так себе", rating_sad: "😞 не понравилось",
  search_total: "{from}–{to} из {total}", search_none: "Таких разговоров нет.",
  search_loading: "Ищем…", search_prev: "Назад", search_next: "Дальше",
  search_csv: "CSV", search_xlsx: "Excel", search_export: "Выгрузить все результаты (до 10 000 строк):",
  search_note: "заметка", search_started: "начат {time}", search_active: "последняя активность {time}",
  search_anonymous: "Анонимный читатель", search_failed: "Поиск не удался ({code}).",
  search_bad_q: "Слишком длинный запрос (не больше 200 символов).",
  search_bad_from: "Дата начала — не дата.", search_bad_to: "Дата конца раньше начала или не дата.",
  search_dates_utc: "Даты — дни по UTC.",
};

export const SEARCH_STRINGS = { en: en, ru: ru };

/* The word for `key` in `lang`; {name}-style holes filled from `fill`. */
export function sayS(lang, key, fill) {
  const text = (SEARCH_STRINGS[lang] || en)[key] || en[key] || key;
  return fill ? text.replace(/\{(\w+)\}/g, (_, k) => String(fill[k] ?? "")) : text;
}
