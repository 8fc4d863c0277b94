/* Search across every conversation: words and filters, a page of hits at a time, and the
 * whole result as CSV or Excel through GET /api/operator/conversations (docs/protocol.md).
 *
 *   <${SearchView} api=${api} lang=${lang} tags=${tags} operators=${operators}
 *                  groups=${groups} onOpen=${(id) => …} />
 *
 * `tags`: names or {name}; `operators`: the store's id -> {id, name} map (or a list);
 * `groups`: [{name, title: {lang: text}}] or names. What the server sends stays text: the
 * snippet's matches are marked from the offsets it gives, never by reading it as HTML. */
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.mjs";
import { sayS } from "./search_strings.mjs";

export const SEARCH_PATH = "/api/operator/conversations";
const PAGE = 20;
const EMPTY = { q: "", tag: "", operator: "", group: "", state: "", from: "", to: "", rating: "" };
const STATES = ["open", "snoozed", "closed"];
const RATINGS = ["happy", "neutral", "sad"];

/* The query string of these filters (empty ones left out), with the page or the format. */
export function searchQuery(filters, extra) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, ...extra })) {
    if (value !== "" && value != null) params.set(key, String(value));
  }
  return params.toString();
}

export function SearchView({ api, lang, tags = [], operators = {}, groups = [], onOpen }) {
  const [form, setForm] = useState(EMPTY);
  const [applied, setApplied] = useState(EMPTY);
  const [offset, setOffset] = useState(0);
  const [found, setFound] = useState({ loading: true, hits: [], total: 0, error: null });
  const asked = useRef(0);  // only the latest question's answer is shown
  useEffect(() => {
    const ticket = ++asked.current;
    setFound((was) => ({ ...was, loading: true, error: null }));
    api.get(SEARCH_PATH + "?" + searchQuery(applied, { limit: PAGE, offset: offset }))
      .then((data) => ticket === asked.current && setFound({ loading: false, hits: data.hits, total: data.total, error: null }))
      .catch((e) => ticket === asked.current && setFound({ loading: false, hits: [], total: 0, error: e.code || "network" }));
  }, [api, applied, offset]);

  const apply = (next) => { setApplied(next); setOffset(0); };
  const change = (key, now) => (e) => {
    const next = { ...form, [key]: e.currentTarget.value };
    setForm(next);
    if (now) apply(next);  // a choice in a list searches at once; the words wait for Enter
  };
  return html`<main class="search-view report" aria-label=${sayS(lang, "search_title")}>
    <h2>${sayS(lang, "search_title")}</h2>
    <${Filters} lang=${lang} form=${form} change=${change} tags=${tags} operators=${operators} groups=${groups}
      onSubmit=${(e) => { e.preventDefault(); apply(form); }}
      onReset=${() => { setForm(EMPTY); apply(EMPTY); }} />
    <p class="search-export">${sayS(lang, "search_export")}
      <a class="search-csv" download href=${SEARCH_PATH + "?" + searchQuery(applied, { format: "csv", lang: lang })}>${sayS(lang, "search_csv")}</a>
      <a class="search-xlsx" download href=${SEARCH_PATH + "?" + searchQuery(applied, { format: "xlsx", lang: lang })}>${sayS(lang, "search_xlsx")}</a>
    </p>
    <${Results} lang=${lang} found=${found} offset=${offset} setOffset=${setOffset}
      groups=${groups} onOpen=${onOpen} />
  </main>`;
}

function Filters({ lang, form, change, tags, operators, groups, onSubmit, onReset }) {
  const people = (Array.isArray(operators) ? operators : Object.values(operators))
    .slice().sort((a, b) => a.name.localeCompare(b.name));
  const choice = (key, label, options) => html`<label class="search-filter">${sayS(lang, label)}
    <select name=${key} value=${form[key]} onChange=${change(key, true)}>${options}</select></label>`;
  const option = (value, text) => html`<option key=${value} value=${value}>${text}</option>`;
  return html`<form class="search-form" role="search" onSubmit=${onSubmit}>
    <label class="search-words">${sayS(lang, "search_q")}
      <input type="search" name="q" maxlength="200" value=${form.q} onInput=${change("q", false)}
        placeholder=${sayS(lang, "search_q_placeholder")} /></label>
    <button type="submit">${sayS(lang, "search_go")}</button>
    <button type="button" class="search-reset" onClick=${onReset}>${sayS(lang, "search_reset")}</button>
    <div class="search-filters">
      ${choice("tag", "search_tag", [option("", sayS(lang, "search_any")), ...tags.map((t) => tagName(t)).map((t) => option(t, t))])}
      ${choice("operator", "search_operator", [option("", sayS(lang, "search_anyone")), option("none", sayS(lang, "search_unassigned")),
        ...people.map((o) => option(String(o.id), o.name))])}
      ${choice("group", "search_group", [option("", sayS(lang, "search_any")), ...groups.map((g) => option(groupName(g), groupTitle(g, lang)))])}
      ${choice("state", "search_state", [option("", sayS(lang, "search_any")), ...STATES.map((s) => option(s, sayS(lang, "state_" + s)))])}
      ${choice("rating", "search_rating", [option("", sayS(lang, "search_any")), ...RATINGS.map((r) => option(r, sayS(lang, "rating_" + r)))])}
      <label class="search-filter">${sayS(lang, "search_from")}
        <input type="date" name="from" value=${form.from} onChange=${change("from", true)} /></label>
      <label class="search-filter">${sayS(lang, "search_to")}
        <input type="date" name="to" value=${form.to} onChange=${change("to", true)} title=${sayS(lang, "search_dates_utc")} /></label>
    </div>
  </form>`;
}

function Results({ lang, found, offset, setOffset, groups, onOpen }) {
  if (found.error) {
    const known = ["bad_q", "bad_from", "bad_to"].includes(found.error);
    return html`<p class="search-error" role="alert">${known ? sayS(lang, "search_" + found.error)
      : sayS(lang, "search_failed", { code: found.error })}</p>`;
  }
  const last = Math.min(offset + found.hits.length, found.total);
  return html`<section class="search-results" aria-busy=${found.loading ? "true" : "false"}>
    <p class="search-total" aria-live="polite">${found.loading ? sayS(lang, "search_loading")
      : found.total ? sayS(lang, "search_total", { from: offset + 1, to: last, total: found.total })
        : sayS(lang, "search_none")}</p>
    <ul class="search-hits">
      ${found.hits.map((hit) => html`<${Hit} key=${hit.id} hit=${hit} lang=${lang} groups=${groups} onOpen=${onOpen} />`)}
    </ul>
    <nav class="search-pages">
      <button type="button" class="search-prev" disabled=${offset === 0 || found.loading}
        onClick=${() => setOffset(Math.max(0, offset - PAGE))}>${sayS(lang, "search_prev")}</button>
      <button type="button" class="search-next" disabled=${last >= found.total || found.loading}
        onClick=${() => setOffset(offset + PAGE)}>${sayS(lang, "search_next")}</button>
    </nav>
  </section>`;
}

function Hit({ hit, lang, groups, onOpen }) {
  const reader = hit.reader;
  const who = reader.name || reader.email || reader.user_id || sayS(lang, "search_anonymous");
  const group = groups.find((g) => groupName(g) === hit.group);
  return html`<li class="search-hit" data-id=${hit.id}>
    <button type="button" class="search-open" onClick=${() => onOpen && onOpen(hit.id)}>
      <span class="search-hit-top">
        <strong class="search-who">${who}</strong>
        ${reader.name && reader.email && html`<span class="search-email">${reader.email}</span>`}
        <span class=${"search-state state-" + hit.state}>${sayS(lang, "state_" + hit.state)}</span>
        <span class="search-id">#${hit.id}</span>
      </span>
      <span class="search-first">${hit.first_message}</span>
      ${hit.snippet && html`<${Snippet} snippet=${hit.snippet} lang=${lang} />`}
      <span class="search-meta">
        ${hit.tags.map((t) => html`<span class="search-tag" key=${t}>${t}</span>`)}
        ${hit.operator && html`<span class="search-operator">${hit.operator.name}</span>`}
        ${hit.group && html`<span class="search-group">${group ? groupTitle(group, lang) : hit.group}</span>`}
        ${hit.rating && html`<span class="badge">${sayS(lang, "rating_" + hit.rating)}</span>`}
        <span class="search-when" title=${sayS(lang, "search_started", { time: when(lang, hit.created_at) })}>
          ${sayS(lang, "search_active", { time: when(lang, hit.updated_at) })}</span>
      </span>
    </button>
  </li>`;
}

/* The matching message's words with the matches marked, from the server's [start, end)
 * offsets into the same text. */
function Snippet({ snippet, lang }) {
  const parts = [];
  let at = 0;
  for (const [start, end] of snippet.marks) {
    if (start < at || end > snippet.text.length) continue;
    parts.push(snippet.text.slice(at, start), html`<mark key=${start}>${snippet.text.slice(start, end)}</mark>`);
    at = end;
  }
  parts.push(snippet.text.slice(at));
  return html`<span class=${"search-snippet" + (snippet.internal ? " internal" : "")}>
    ${snippet.internal && html`<span class="search-note">${sayS(lang, "search_note")}</span> `}${parts}</span>`;
}

function tagName(tag) { return typeof tag === "string" ? tag : tag.name; }
function groupName(group) { return typeof group === "string" ? group : group.name; }
function groupTitle(group, lang) {
  if (typeof group === "string") return group;
  if (typeof group.title === "string") return group.title || group.name;
  const title = group.title || {};
  return title[lang] || title["*"] || title.en || group.name;
}
function when(lang, ms) {
  return new Date(ms).toLocaleString(lang, { dateStyle: "short", timeStyle: "short" });
}
