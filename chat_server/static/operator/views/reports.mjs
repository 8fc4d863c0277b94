/* Article ratings with their views, and the searches that found nothing (with CSV and
 * «answered by»). */
import { html } from "../html.mjs";
import { say } from "../strings.mjs";
import { clock } from "./format.mjs";
import { sayR } from "./ratings_strings.mjs";

export function Ratings({ state }) {
  const lang = state.lang;
  const rows = state.reports.ratings || [];
  return html`<main id="tab-ratings" class="report">
    <h2>${say(lang, "ratings_title")}</h2>
    <p class="report-hint">${sayR(lang, "ratings_views_hint")}</p>
    <div class="table-scroll"><table>
      <thead><tr><th>${say(lang, "article")}</th><th>${say(lang, "lang")}</th>
        <th>${sayR(lang, "ratings_views")}</th><th>😀</th><th>😐</th><th>😞</th>
        <th>${say(lang, "sad_share")}</th><th>${say(lang, "author")}</th></tr></thead>
      <tbody id="ratings-rows">
        ${rows.map((r) => html`<tr key=${r.article_id + r.lang} data-article=${r.lang + "/" + r.article_id}>
          <td>${r.url ? html`<a href=${r.url}>${r.title || r.article_id}</a>` : r.title || r.article_id}</td>
          <td>${r.lang}</td>
          <td class="ratings-views" title=${sayR(lang, "ratings_views_total", { count: r.views_total || 0 })}>${r.views_30d || 0}</td>
          <td>${r.happy}</td><td>${r.neutral}</td><td>${r.sad}</td>
          <td>${r.since_change_total ? `${Math.round(r.sad_share * 100)}% (${r.since_change_sad}/${r.since_change_total})` : "—"}</td>
          <td class="ratings-author" title=${r.author}>${r.author_name || r.author}</td></tr>`)}
      </tbody>
    </table></div>
    ${state.reports.ratings && !rows.length && html`<p class="report-empty">${sayR(lang, "ratings_none")}</p>`}
  </main>`;
}

export function Searches({ state, act }) {
  const lang = state.lang;
  const rows = state.reports.searches || [];
  return html`<main id="tab-searches" class="report">
    <h2>${say(lang, "searches_title")}</h2>
    <p><a id="csv-link" href="/api/operator/failed-searches?format=csv">${say(lang, "csv")}</a></p>
    <div class="table-scroll"><table>
      <thead><tr><th>${say(lang, "query")}</th><th>${say(lang, "lang")}</th><th>${say(lang, "count")}</th>
        <th>${say(lang, "last_seen")}</th><th>${say(lang, "pages")}</th><th>${say(lang, "answered_by")}</th></tr></thead>
      <tbody id="searches-rows">
        ${rows.map((f) => html`<tr key=${f.id}>
          <td>${f.query}</td><td>${f.lang}</td><td>${f.count}</td><td>${clock(lang, f.last_seen)}</td>
          <td>${f.pages.join(" ")}</td>
          <td><form class="answer-form" onSubmit=${(e) => {
            e.preventDefault();
            act.answerSearch(f.id, e.currentTarget.article.value.trim());
          }}><input name="article" required placeholder=${say(lang, "article_id_placeholder")} />
            <button type="submit">${say(lang, "mark")}</button></form></td></tr>`)}
      </tbody>
    </table></div>
  </main>`;
}
