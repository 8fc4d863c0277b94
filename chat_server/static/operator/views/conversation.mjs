/* One conversation: its header and actions, its tags, the messages, who is typing, and the
 * composer (composer.mjs). */
import { useEffect, useRef } from "preact/hooks";
import { html } from "../html.mjs";
import { viewers } from "../store.mjs";
import { say } from "../strings.mjs";
import { clock } from "./format.mjs";
import { ActionLine } from "./history.mjs";
import { Snooze, Transfer } from "./handoff.mjs";
import { Composer } from "./composer.mjs";
import { TagEditor } from "./tags.mjs";

const kit = window.HelpCenterChatKit;

export function Conversation({ state, act }) {
  const lang = state.lang;
  const detail = state.detail;
  if (!detail) {
    return html`<section class="conversation placeholder"><p>${say(lang, "choose_conversation")}</p></section>`;
  }
  const row = state.rows[detail.id] || detail.conversation || {};
  return html`<section id="conversation" class="conversation" aria-labelledby="conversation-title">
    <header class="conversation-head">
      <button type="button" class="back phone-only" onClick=${() => act.screen("list")}>← ${say(lang, "back")}</button>
      <h2 id="conversation-title">${say(lang, "conversation")} #${detail.id}${row.article_id ? " · " + row.article_id : ""}</h2>
      <button type="button" class="phone-only" onClick=${() => act.screen("context")}>${say(lang, "show_context")}</button>
      <span class=${"state state-" + row.status} id="conversation-status">${row.status ? say(lang, "status_" + row.status) : ""}</span>
      <label>${say(lang, "assignee")}
        <select id="assignee" value=${row.assignee_id == null ? "" : String(row.assignee_id)}
            onChange=${(e) => act.assign(e.currentTarget.value ? Number(e.currentTarget.value) : null)}>
          <option value="">${say(lang, "nobody")}</option>
          ${Object.values(state.operators).map((o) => html`<option key=${o.id} value=${String(o.id)}>${o.name}</option>`)}
        </select>
      </label>
      ${row.assignee_id !== state.me.id && html`<button type="button" id="assign-me" onClick=${() => act.assign(state.me.id)}>${say(lang, "assign_me")}</button>`}
      <button type="button" id="transfer-button" aria-expanded=${state.panel === "transfer"} onClick=${() => act.panel("transfer")}>${say(lang, "transfer")}</button>
      <button type="button" id="snooze-button" aria-expanded=${state.panel === "snooze"} onClick=${() => act.panel("snooze")}>${say(lang, "snooze")}</button>
      <button type="button" id="toggle-status" onClick=${act.toggleStatus}>${say(lang, row.status === "open" ? "close" : "reopen")}</button>
    </header>
    <${TagEditor} state=${state} act=${act} />
    ${state.panel === "transfer" && html`<${Transfer} state=${state} act=${act} />`}
    ${state.panel === "snooze" && html`<${Snooze} state=${state} act=${act} />`}
    <${Messages} state=${state} detail=${detail} lang=${lang} />
    <${Typing} who=${state.typing[detail.id]} viewers=${viewers(state, detail.id)} lang=${lang} />
    <${Composer} state=${state} act=${act} />
  </section>`;
}

// Messages and the history of actions, in the order they happened.
function Messages({ state, detail, lang }) {
  const list = useRef(null);
  const count = detail.messages.length + detail.actions.length;
  // Follow the conversation: scroll to the newest line when one arrives.
  useEffect(() => { if (list.current) list.current.scrollTop = list.current.scrollHeight; }, [count, detail.id]);
  const lines = detail.messages.map((m) => ({ at: m.pending ? Infinity : m.created_at, message: m }))
    .concat(detail.actions.map((a) => ({ at: a.created_at, action: a })))
    .sort((a, b) => a.at - b.at);
  return html`<ol id="messages" class="messages" aria-live="polite" ref=${list}>
    ${lines.map((line) => (line.message
      ? html`<${Message} key=${line.message.id ? "m" + line.message.id : "c" + line.message.client_id} m=${line.message} lang=${lang} readId=${detail.readId} />`
      : html`<${ActionLine} key=${"a" + line.action.id} action=${line.action} state=${state} />`))}
  </ol>`;
}

function Message({ m, lang, readId }) {
  const who = m.author_kind === "operator" ? (m.author_name || say(lang, "conversation"))
    : m.author_kind === "reader" ? say(lang, "reader") : "";
  const read = m.author_kind === "operator" && !m.internal && !m.pending && m.id <= readId;
  return html`<li class=${"message " + m.author_kind + (m.internal ? " note" : "") + (m.pending ? " pending" : "")} data-id=${m.id || undefined}>
    <div class="message-head">
      <strong>${who}</strong>
      ${m.internal && html`<span class="badge">${say(lang, "note")}</span>`}
      <time>${m.pending ? say(lang, "sending") : clock(lang, m.created_at)}</time>
      ${read && html`<span class="read">✓✓ ${say(lang, "read")}</span>`}
    </div>
    ${m.attachment ? html`<${Attachment} attachment=${m.attachment} />` : html`<div class="message-body">${linked(m.body)}</div>`}
  </li>`;
}

// http, https and mailto links in what people wrote (chat-kit.js, with linkify.js); the rest
// stays text.
function linked(text) {
  return kit.linkParts(text).map((part) => (typeof part === "string" ? part
    : html`<a href=${part.href} target="_blank" rel="noopener noreferrer nofollow">${part.text}</a>`));
}

// chat-kit.js makes a file's node (shared with the widget); it is put in once per message.
function Attachment({ attachment }) {
  const holder = useRef(null);
  useEffect(() => {
    holder.current.replaceChildren(kit.attachmentNode(attachment, { className: "message-file" }));
  }, [attachment.url]);
  return html`<div class="message-attachment" ref=${holder}></div>`;
}

// Who else is here: the reader or colleagues typing, colleagues looking.
function Typing({ who, viewers, lang }) {
  const names = Object.keys(who || {});
  const typing = names.map((n) => (n === "reader" ? say(lang, "reader_typing") : say(lang, "typing", { name: n })));
  const looking = viewers.filter((n) => names.indexOf(n) < 0);
  return html`<p class="presence-line">
    <span id="typing" class="typing">${typing.join(" ")}</span>
    ${looking.length > 0 && html`<span id="viewers" class="viewers">👁 ${say(lang, "viewing", { names: looking.join(", ") })}</span>`}
  </p>`;
}
