/* The list of conversations: the views with their counts, the sort, and one row per
 * conversation (who, the last words, unread, waiting time, group, assignee). */
import { Component } from "preact";
import { html } from "../html.mjs";
import { VIEWS, pageKey, visibleRows } from "../store.mjs";
import { say } from "../strings.mjs";
import { clock, duration, ratingLabel, readerLabel } from "./format.mjs";
import { groupTitle } from "./handoff.mjs";
import { TagFilter, TagList } from "./tags.mjs";

const REPLY_TARGET_MS = 15 * 60 * 1000;  // the team's promise of a first answer

export function Inbox({ state, act }) {
  const lang = state.lang;
  const rows = visibleRows(state);
  const page = state.pages[pageKey(state)];
  return html`<aside class="inbox" aria-label=${say(lang, "tab_inbox")}>
    <div class="views" role="tablist">
      ${VIEWS.map((v) => html`<button type="button" role="tab" data-view=${v} key=${v}
          class=${"view" + (state.view === v ? " active" : "")} aria-selected=${state.view === v}
          onClick=${() => act.view(v)}>
        <span>${say(lang, "view_" + v)}</span> <span class="count" data-count=${v}>${state.counts[v]}</span>
      </button>`)}
    </div>
    <div class="list-filters">
      <label class="sort">${say(lang, "sort")}
        <select value=${state.sort} onChange=${(e) => act.sort(e.currentTarget.value)}>
          <option value="recent">${say(lang, "sort_recent")}</option>
          <option value="waiting">${say(lang, "sort_waiting")}</option>
        </select>
      </label>
      <${TagFilter} state=${state} act=${act} />
    </div>
    <ul id="conversations" class="conversations">
      ${rows.length ? rows.map((row) => html`<${Row} key=${row.id} row=${row} state=${state} act=${act}
          active=${state.current === row.id} />`)
        : html`<li class="empty">${say(lang, "empty")}</li>`}
    </ul>
    ${page && page.more && html`<button type="button" class="more" onClick=${act.more}>${say(lang, "more")}</button>`}
    <${Team} state=${state} />
  </aside>`;
}

// Colleagues and whether they are here: online, away, or without an open page.
function Team({ state }) {
  const lang = state.lang;
  const order = { online: 0, away: 1, offline: 2 };
  const people = Object.values(state.operators)
    .sort((a, b) => order[a.presence || "offline"] - order[b.presence || "offline"] || a.name.localeCompare(b.name));
  return html`<section class="team" aria-label=${say(lang, "team")}>
    <h3>${say(lang, "team")}</h3>
    <ul id="team">
      ${people.map((o) => html`<li key=${o.id} data-operator=${o.id} class=${"presence-" + (o.presence || "offline")}>
        <span class="dot" aria-hidden="true"></span> ${o.name}${o.id === state.me.id ? " (" + say(lang, "you") + ")" : ""}
        <span class="presence-word">${say(lang, "presence_" + (o.presence || "offline"))}</span></li>`)}
    </ul>
  </section>`;
}

/* A row is drawn again only when something it shows changed: its conversation, the language,
 * the clock (waiting times), the team (assignee names) or which conversation is open. With
 * hundreds of rows, redrawing all of them for every event was most of a page's work. */
class Row extends Component {
  shouldComponentUpdate(next) {
    const before = this.props, now = next.state, then = before.state;
    return next.row !== before.row || next.active !== before.active || now.lang !== then.lang
      || now.now !== then.now || now.operators !== then.operators || now.groups !== then.groups
      || now.catalog !== then.catalog;
  }

  render(props) { return rowView(props); }
}

function rowView({ row, state, act }) {
  const lang = state.lang;
  const waited = row.waiting_since ? state.now - row.waiting_since : 0;
  const late = waited > REPLY_TARGET_MS;
  const assignee = row.assignee_id != null && state.operators[row.assignee_id];
  const active = state.current === row.id;
  return html`<li class=${"conversation-item" + (active ? " active" : "")} data-id=${row.id}>
    <button type="button" class="conversation-link" aria-current=${active ? "true" : undefined}
        onClick=${() => act.open(row.id)}>
      <span class="row-top">
        <strong class="who">${readerLabel(lang, row)}</strong>
        ${row.unread > 0 && html`<span class="unread" title=${say(lang, "unread", { n: row.unread })}>${row.unread}</span>`}
      </span>
      <span class="preview">${row.preview}</span>
      <span class="row-meta">
        ${row.waiting_since && html`<span class=${"waited" + (late ? " late" : "")}>${say(lang, "waiting", { time: duration(lang, waited) })}</span>`}
        ${!row.waiting_since && html`<span class="when">${clock(lang, row.updated_at)}</span>`}
        ${row.rating && html`<span class="badge">${ratingLabel(lang, row.rating)}</span>`}
        ${row.group_name && html`<span class="group">${groupTitle(state, row.group_name)}</span>`}
        ${assignee && html`<span class="assignee">${assignee.id === state.me.id ? say(lang, "you") : assignee.name}</span>`}
        ${row.article_id && html`<span class="article">${row.article_id}</span>`}
      </span>
      <${TagList} names=${row.tags} catalog=${state.catalog} lang=${lang} />
    </button>
  </li>`;
}
