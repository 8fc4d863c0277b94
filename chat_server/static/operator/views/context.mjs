/* Who the reader is (with what the host product says of them), where they wrote from, and
 * the customer's lasting notes, path and reminders (customer.mjs), in the operator's words. */
import { html } from "../html.mjs";
import { say } from "../strings.mjs";
import { clock, ratingLabel } from "./format.mjs";
import { CustomerNotes, CustomerPath, Reminders } from "./customer.mjs";
import { groupTitle } from "./handoff.mjs";

const CONTEXT_FIELDS = ["page", "title", "article_id", "lang", "entry_page", "referrer", "search", "suggestions",
  "suggestion_opened", "browser", "timezone", "local_time"];

export function Context({ state, act }) {
  const lang = state.lang;
  const detail = state.detail;
  if (!detail || !detail.conversation) return html`<aside id="context" class="context"></aside>`;
  const c = detail.conversation;
  // The profile is asked for again when a back end pushes new attributes: it is the newer.
  const profile = state.profile && state.profile.reader_id === c.reader_id ? state.profile.data.reader : null;
  const reader = { ...(detail.reader || {}), ...(profile || {}) };
  const attributes = reader.attributes || {};
  const readerPairs = [
    [say(lang, "field_name"), reader.name],
    [say(lang, "field_email"), reader.email || c.email],
    [say(lang, "field_user_id"), reader.user_id],
  ].concat(Object.keys(attributes).map((k) => [fieldLabel(lang, k), attributes[k]]));
  const context = c.context || {};
  const contextPairs = CONTEXT_FIELDS.filter((k) => context[k]).map((k) => [say(lang, "field_" + k), context[k]])
    .concat([[say(lang, "rating"), ratingLabel(lang, c.rating)], [say(lang, "field_group"), groupTitle(state, c.group_name)]]);
  return html`<aside id="context" class="context" aria-label=${say(lang, "context")}>
    <button type="button" class="back phone-only" onClick=${() => act.screen("conversation")}>← ${say(lang, "back")}</button>
    <h3>${say(lang, "reader")}</h3>
    ${!reader.name && !reader.email && !c.email && html`<p class="muted">${say(lang, "anonymous")}</p>`}
    <${Pairs} id="reader-info" pairs=${readerPairs} />
    <h3>${say(lang, "context")}</h3>
    <${Pairs} id="context-info" pairs=${contextPairs} />
    <${CustomerNotes} state=${state} act=${act} />
    <${Reminders} key=${c.id} state=${state} act=${act} />
    ${state.profile ? html`<${CustomerPath} state=${state} act=${act} />` : html`
    <h3>${say(lang, "earlier")}</h3>
    <ul id="earlier">
      ${detail.earlier.map((e) => html`<li key=${e.id}><button type="button" class="link" onClick=${() => act.open(e.id)}>
        #${e.id} · ${clock(lang, e.created_at)} · ${say(lang, "status_" + e.status)}</button></li>`)}
    </ul>`}
  </aside>`;
}

// The host product's own attributes keep their names, except the ones we have words for.
function fieldLabel(lang, key) {
  const known = say(lang, "field_" + key);
  return known === "field_" + key ? key : known;
}

function Pairs({ id, pairs }) {
  return html`<dl id=${id}>
    ${pairs.filter((p) => p[1] !== undefined && p[1] !== null && p[1] !== "").map((p) => html`
      <dt>${p[0]}</dt><dd>${typeof p[1] === "object" ? JSON.stringify(p[1]) : String(p[1])}</dd>`)}
  </dl>`;
}
