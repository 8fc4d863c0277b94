/* Tags: chips in the team's colours, the open conversation's tags with add and remove, and
 * the inbox's filter by one tag. The team's list (chat.tags and admins' additions) comes
 * from GET /api/operator/tags; automatic ones are the sidecar's and look different. */
import { useState } from "preact/hooks";
import { html } from "../html.mjs";
import { say } from "../strings.mjs";

const AUTOMATIC = ["first-contact", "returning", "after-hours", "sad-rating", "failed-search"];

export function isAutomatic(name) {
  return AUTOMATIC.indexOf(name) >= 0 || name.indexOf(":") >= 0;
}

function colourOf(catalog, name) {
  const tag = catalog.find((t) => t.name === name);
  return tag && /^#[0-9a-f]{6}$/i.test(tag.colour || "") ? tag.colour : null;
}

function describe(catalog, name, lang) {
  const tag = catalog.find((t) => t.name === name);
  const d = tag && tag.description;
  return (d && (d[lang] || d.en || Object.values(d)[0])) || "";
}

export function TagChip({ name, catalog, lang, onRemove }) {
  const colour = colourOf(catalog, name);
  const auto = isAutomatic(name);
  const title = describe(catalog, name, lang) || (auto ? say(lang, "auto_tag") : "");
  return html`<span class=${"tag" + (auto ? " tag-auto" : "")} data-tag=${name} title=${title || undefined}
      style=${colour ? { "--tag": colour } : undefined}>
    ${name}
    ${onRemove && html`<button type="button" class="tag-remove" aria-label=${say(lang, "remove_tag", { name: name })}
      onClick=${() => onRemove(name)}>×</button>`}
  </span>`;
}

export function TagList({ names, catalog, lang }) {
  if (!names || !names.length) return null;
  return html`<span class="tags">${names.map((n) => html`<${TagChip} key=${n} name=${n} catalog=${catalog} lang=${lang} />`)}</span>`;
}

/* The open conversation's tags: each removable, and a field that offers the team's tags. */
export function TagEditor({ state, act }) {
  const lang = state.lang;
  const [text, setText] = useState("");
  const c = state.detail && state.detail.conversation;
  if (!c) return null;
  const have = c.tags || [];
  const offered = state.catalog.filter((t) => t.source !== "auto" && have.indexOf(t.name) < 0);
  function add(e) {
    e.preventDefault();
    if (!text.trim()) return;
    act.addTag(text);
    setText("");
  }
  return html`<form id="conversation-tags" class="tag-editor" onSubmit=${add} aria-label=${say(lang, "tags")}>
    <span class="tags">${have.map((n) => html`<${TagChip} key=${n} name=${n} catalog=${state.catalog} lang=${lang}
      onRemove=${act.removeTag} />`)}</span>
    <input id="tag-input" list="tag-options" value=${text} maxlength="40" placeholder=${say(lang, "tag_placeholder")}
      aria-label=${say(lang, "add_tag")} onInput=${(e) => setText(e.currentTarget.value)} />
    <datalist id="tag-options">${offered.map((t) => html`<option key=${t.name} value=${t.name}>${describe(state.catalog, t.name, lang)}</option>`)}</datalist>
    <button type="submit" id="tag-add" disabled=${!text.trim()}>${say(lang, "add_tag")}</button>
  </form>`;
}

/* The inbox's filter: every conversation, or only those with one tag. */
export function TagFilter({ state, act }) {
  const lang = state.lang;
  const names = state.catalog.map((t) => t.name);
  if (state.tagFilter && names.indexOf(state.tagFilter) < 0) names.push(state.tagFilter);
  return html`<label class="tag-filter">${say(lang, "tag_filter")}
    <select id="tag-filter" value=${state.tagFilter} onChange=${(e) => act.tagFilter(e.currentTarget.value)}>
      <option value="">${say(lang, "all_tags")}</option>
      ${names.map((n) => html`<option key=${n} value=${n}>${n}</option>`)}
    </select>
  </label>`;
}
