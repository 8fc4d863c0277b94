/* The "Replies & tags" tab: the saved replies (the team's, from git, read-only here; this
 * operator's own, made, edited and deleted here) and the team's tags (admins add and remove
 * the ones made in the page; chat.tags and automatic ones are not theirs to remove). */
import { useState } from "preact/hooks";
import { html } from "../html.mjs";
import { say } from "../strings.mjs";
import { TagChip } from "./tags.mjs";

export function Library({ state, act }) {
  return html`<main id="tab-library" class="report library">
    <${Replies} state=${state} act=${act} />
    <${TeamTags} state=${state} act=${act} />
  </main>`;
}

function Replies({ state, act }) {
  const lang = state.lang;
  const all = state.replies[""] || [];
  const [editing, setEditing] = useState(null);  // a personal reply being edited
  return html`<section aria-labelledby="replies-title">
    <h2 id="replies-title">${say(lang, "replies")}</h2>
    <p class="muted">${say(lang, "reply_hint")}</p>
    <ul id="reply-library" class="reply-library">
      ${all.map((r) => html`<li key=${r.id} data-reply=${r.id} class=${"reply-item " + r.scope}>
        <span class="suggestion-head"><kbd>#${r.shortcut}</kbd> <strong>${r.title}</strong>
          <span class="muted">${r.lang} · ${say(lang, r.scope === "personal" ? "personal_reply" : "team_reply")}</span></span>
        <span class="suggestion-body">${r.body}</span>
        ${r.scope === "personal" && html`<span class="reply-actions">
          <button type="button" class="link" onClick=${() => setEditing(r)}>${say(lang, "edit")}</button>
          <button type="button" class="link" onClick=${() => act.deleteReply(r.id)}>${say(lang, "delete")}</button></span>`}
        ${r.scope === "team" && r.source && html`<span class="muted source">${r.source}</span>`}
      </li>`)}
    </ul>
    <${ReplyForm} key=${editing ? editing.id : "new"} state=${state} act=${act} reply=${editing}
      languages=${languages(state, all)} onDone=${() => setEditing(null)} />
  </section>`;
}

function languages(state, replies) {
  const found = new Set(replies.map((r) => r.lang));
  found.add(state.lang);
  return Array.from(found).sort();
}

function ReplyForm({ state, act, reply, languages, onDone }) {
  const lang = state.lang;
  const [fields, setFields] = useState(() => (reply
    ? { lang: reply.lang, shortcut: reply.shortcut, title: reply.title, body: reply.body }
    : { lang: state.lang, shortcut: "", title: "", body: "" }));
  const [saving, setSaving] = useState(false);
  const set = (key) => (e) => setFields({ ...fields, [key]: e.currentTarget.value });
  const ready = fields.shortcut.trim() && fields.title.trim() && fields.body.trim();
  function save(e) {
    e.preventDefault();
    if (!ready) return;
    setSaving(true);
    act.saveReply(fields, reply && reply.id)
      .then(() => { setFields({ lang: fields.lang, shortcut: "", title: "", body: "" }); onDone(); })
      .catch(() => {})  // the notice says why; what was typed stays
      .finally(() => setSaving(false));
  }
  return html`<form id="reply-form" class="stacked" onSubmit=${save}>
    <h3>${reply ? say(lang, "edit") + " #" + reply.shortcut : say(lang, "new_reply")}</h3>
    <label>${say(lang, "field_lang")}
      <select id="reply-lang" value=${fields.lang} onChange=${set("lang")}>
        ${languages.map((l) => html`<option key=${l} value=${l}>${l}</option>`)}
      </select></label>
    <label>${say(lang, "shortcut")} <input id="reply-shortcut" value=${fields.shortcut} maxlength="40" onInput=${set("shortcut")} /></label>
    <label>${say(lang, "title")} <input id="reply-title" value=${fields.title} maxlength="200" onInput=${set("title")} /></label>
    <label>${say(lang, "body")}
      <textarea id="reply-body" rows="4" maxlength="4000" value=${fields.body} onInput=${set("body")}></textarea></label>
    <p class="muted">${say(lang, "variables_hint")}</p>
    <span>
      <button type="submit" id="reply-save" disabled=${!ready || saving}>${say(lang, "save")}</button>
      ${reply && html` <button type="button" class="link" onClick=${onDone}>${say(lang, "dismiss")}</button>`}
    </span>
  </form>`;
}

function TeamTags({ state, act }) {
  const lang = state.lang;
  const admin = state.me.role === "admin";
  return html`<section aria-labelledby="team-tags-title">
    <h2 id="team-tags-title">${say(lang, "team_tags")}</h2>
    <ul id="tag-catalog" class="tag-catalog">
      ${state.catalog.map((t) => html`<li key=${t.name}>
        <${TagChip} name=${t.name} catalog=${state.catalog} lang=${lang} />
        <span class="muted">${description(t, lang)}</span>
        ${admin && t.source === "admin" && html`<button type="button" class="link"
          onClick=${() => act.removeCatalogTag(t.name)}>${say(lang, "delete")}</button>`}
      </li>`)}
    </ul>
    ${admin ? html`<${TagForm} state=${state} act=${act} />` : html`<p class="muted">${say(lang, "admins_only")}</p>`}
  </section>`;
}

function description(tag, lang) {
  const d = tag.description || {};
  return d[lang] || d["*"] || d.en || "";
}

function TagForm({ state, act }) {
  const lang = state.lang;
  const [name, setName] = useState("");
  const [colour, setColour] = useState("#2563eb");
  const [text, setText] = useState("");
  function add(e) {
    e.preventDefault();
    if (!name.trim()) return;
    act.addCatalogTag({ name: name.trim(), colour: colour, description: text.trim() })
      .then(() => { setName(""); setText(""); }).catch(() => {});
  }
  return html`<form id="tag-form" class="stacked" onSubmit=${add}>
    <h3>${say(lang, "new_tag")}</h3>
    <label>${say(lang, "tags")} <input id="new-tag-name" value=${name} maxlength="40" onInput=${(e) => setName(e.currentTarget.value)} /></label>
    <label>${say(lang, "colour")} <input id="new-tag-colour" type="color" value=${colour} onInput=${(e) => setColour(e.currentTarget.value)} /></label>
    <label>${say(lang, "description")} <input id="new-tag-description" value=${text} maxlength="200" onInput=${(e) => setText(e.currentTarget.value)} /></label>
    <button type="submit" id="new-tag-add" disabled=${!name.trim()}>${say(lang, "add_tag")}</button>
  </form>`;
}
