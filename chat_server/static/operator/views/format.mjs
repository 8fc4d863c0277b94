/* Times and names as an operator reads them. */
import { say } from "../strings.mjs";

export function clock(lang, ms) {
  return new Date(ms).toLocaleString(lang, { dateStyle: "short", timeStyle: "short" });
}

/* "5 min", "2 h 10 min", "3 d": how long someone has waited. */
export function duration(lang, ms) {
  const minutes = Math.max(0, Math.floor(ms / 60000));
  const ru = lang === "ru";
  if (minutes < 60) return minutes + (ru ? " мин" : " min");
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return hours + (ru ? " ч " : " h ") + (minutes % 60) + (ru ? " мин" : " min");
  return Math.floor(hours / 24) + (ru ? " д" : " d");
}

/* Who the reader is, as far as anyone knows: name, email, company, or "anonymous". */
export function readerLabel(lang, row) {
  const company = row.reader_attributes && row.reader_attributes.company;
  // A row heard of a moment ago waits for its reader's name: no "anonymous" flicker.
  if (row.stale && !row.reader_name && !row.reader_email) return "…";
  const who = row.reader_name || row.reader_email || (company ? "" : say(lang, "anonymous"));
  return company && who ? who + " · " + company : who || company;
}

export function ratingLabel(lang, rating) {
  return rating ? say(lang, "rating_" + rating) : "";
}
