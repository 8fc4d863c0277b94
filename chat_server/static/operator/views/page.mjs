/* The whole page: login, or the top bar with the inbox (list, conversation, context: three
 * panes, or three screens on a phone) and the reports; keyboard shortcuts with a ? overlay. */
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.mjs";
import { visibleRows } from "../store.mjs";
import { say } from "../strings.mjs";
import { Context } from "./context.mjs";
import { Conversation } from "./conversation.mjs";
import { Inbox } from "./inbox.mjs";
import { Login } from "./login.mjs";
import { DueList } from "./due.mjs";
import { Library } from "./library.mjs";
import { Ratings, Searches } from "./reports.mjs";
import { SearchView } from "./search.mjs";

const TABS = ["inbox", "reminders", "search", "library", "ratings", "searches"];

export function Page({ state, act }) {
  if (state.connection === "login" || !state.me) {
    return state.connection === "login" ? html`<${Login} lang=${state.lang} act=${act} />` : null;
  }
  return html`<div id="app" class="app">
    <${TopBar} state=${state} act=${act} />
    ${state.notice && html`<${Notice} notice=${state.notice} lang=${state.lang} act=${act} />`}
    ${state.tab === "inbox" && html`<main id="tab-inbox" class=${"inbox-layout screen-" + state.screen}>
      <${Inbox} state=${state} act=${act} />
      <${Conversation} state=${state} act=${act} />
      <${Context} state=${state} act=${act} />
    </main>`}
    ${state.tab === "reminders" && html`<${DueList} state=${state} act=${act} />`}
    ${state.tab === "search" && html`<main id="tab-search" class="report">
      <${SearchView} api=${act.api} lang=${state.lang} tags=${state.catalog} operators=${state.operators}
        groups=${state.groups} onOpen=${(id) => { act.tab("inbox"); act.open(id); }} /></main>`}
    ${state.tab === "library" && html`<${Library} state=${state} act=${act} />`}
    ${state.tab === "ratings" && html`<${Ratings} state=${state} />`}
    ${state.tab === "searches" && html`<${Searches} state=${state} act=${act} />`}
    <${Shortcuts} state=${state} act=${act} />
  </div>`;
}

function TopBar({ state, act }) {
  const lang = state.lang;
  const status = state.connection === "online" ? "connected" : state.connection === "offline" ? "reconnecting" : "connecting";
  return html`<header class="topbar">
    <strong class="brand">${say(lang, "app_title")}</strong>
    <nav class="tabs" aria-label="Sections">
      ${TABS.map((t) => html`<button type="button" key=${t} data-tab=${t}
        class=${"tab" + (state.tab === t ? " active" : "")} onClick=${() => act.tab(t)}>${say(lang, "tab_" + t)}
        ${t === "reminders" && state.dueCount > 0 && html` <span class="count" id="due-count">${state.dueCount}</span>`}</button>`)}
    </nav>
    <span class="spacer"></span>
    <span id="me-name" class="me">${state.me.name}</span>
    <label><span class="visually-hidden">${say(lang, "presence")}</span>
      <select id="presence" value=${state.me.status === "away" ? "away" : "online"} onChange=${(e) => act.presence(e.currentTarget.value)}>
        <option value="online">${say(lang, "online")}</option>
        <option value="away">${say(lang, "away")}</option>
      </select></label>
    <button type="button" id="lang-toggle" class="link" onClick=${() => act.lang(lang === "ru" ? "en" : "ru")}>${lang === "ru" ? "EN" : "RU"}</button>
    <button type="button" id="logout" class="link" onClick=${act.logout}>${say(lang, "logout")}</button>
    <span id="connection" class=${"connection " + state.connection} role="status">${say(lang, status)}</span>
  </header>`;
}

function Notice({ notice, lang, act }) {
  const urgent = notice.kind === "error" || notice.kind === "warn";
  return html`<p id="notice" class=${"notice " + notice.kind} role=${urgent ? "alert" : "status"}>
    <span>${say(lang, notice.key, notice.fill)}${notice.text ? " (" + notice.text + ")" : ""}</span>
    ${notice.conversation_id && html`<button type="button" class="link" onClick=${act.openNotice}>${say(lang, "open_it")}</button>`}
    <button type="button" class="link" onClick=${act.dismiss}>${say(lang, "dismiss")}</button>
  </p>`;
}

const KEYS = [["j", "shortcut_next"], ["k", "shortcut_prev"], ["r", "shortcut_reply"], ["n", "shortcut_note"],
  ["e", "shortcut_close"], ["Ctrl+Enter", "shortcut_send"], ["Esc", "shortcut_escape"], ["?", "shortcut_help"]];

/* j/k move through the list, r/n write a reply/note, e closes or reopens, ? shows them all.
 * Keys typed into a text box are the text's, not shortcuts. */
function Shortcuts({ state, act }) {
  const [shown, setShown] = useState(false);
  const latest = useRef(state);
  latest.current = state;  // one listener for the page's life, reading the newest state
  useEffect(() => {
    function key(e) {
      const now = latest.current, target = e.target;
      if (e.ctrlKey || e.metaKey || e.altKey || now.tab !== "inbox") return;
      if (target.closest && target.closest("input, textarea, select")) return;
      const help = (value) => setShown((v) => (value === undefined ? !v : value));
      if (press(e.key, now, act, help)) e.preventDefault();
    }
    document.addEventListener("keydown", key);
    return () => document.removeEventListener("keydown", key);
  }, [act]);
  if (!shown) return null;
  return html`<div class="overlay" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title" onClick=${() => setShown(false)}>
    <div class="overlay-box">
      <h2 id="shortcuts-title">${say(state.lang, "shortcuts")}</h2>
      <dl class="keys">${KEYS.map(([k, label]) => html`<dt><kbd>${k}</kbd></dt><dd>${say(state.lang, label)}</dd>`)}</dl>
    </div>
  </div>`;
}

function press(key, state, act, toggleHelp) {
  if (key === "?") { toggleHelp(); return true; }
  if (key === "j" || key === "k") {
    const rows = visibleRows(state);
    if (!rows.length) return true;
    const at = rows.findIndex((r) => r.id === state.current);
    const next = at < 0 ? 0 : Math.min(rows.length - 1, Math.max(0, at + (key === "j" ? 1 : -1)));
    act.open(rows[next].id);
    return true;
  }
  if ((key === "r" || key === "n") && state.current) {
    act.mode(key === "r" ? "reply" : "note");
    const box = document.getElementById("composer-text");
    if (box) box.focus();
    return true;
  }
  if (key === "e" && state.current) { act.toggleStatus(); return true; }
  if (key === "Escape") { toggleHelp(false); return false; }
  return false;
}
