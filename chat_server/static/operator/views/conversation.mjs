/* One conversation: its header and actions, the messages, who is typing, and the composer
 * (reply or internal note, a file, the draft kept per conversation). */
import { useEffect, useRef } from "preact/hooks";
import { html } from "../html.mjs";
import { say } from "../strings.mjs";
import { clock } from "./format.mjs";

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
      <button type="button" id="toggle-status" onClick=${act.toggleStatus}>${say(lang, row.status === "closed" ? "reopen" : "close")}</button>
    </header>
    <${Messages} detail=${detail} lang=${lang} />
    <${Typing} who=${state.typing[detail.id]} lang=${lang} />
    ${state.notice && html`<${Notice} notice=${state.notice} lang=${lang} act=${act} />`}
    <${Composer} state=${state} act=${act} />
  </section>`;
}

function Messages({ detail, lang }) {
  const list = useRef(null);
  const count = detail.messages.length;
  // Follow the conversation: scroll to the newest message when one arrives.
  useEffect(() => { if (list.current) list.current.scrollTop = list.current.scrollHeight; }, [count, detail.id]);
  return html`<ol id="messages" class="messages" aria-live="polite" ref=${list}>
    ${detail.messages.map((m) => html`<${Message} key=${m.id ? "m" + m.id : "c" + m.client_id} m=${m} lang=${lang} readId=${detail.readId} />`)}
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
    ${m.attachment ? html`<${Attachment} attachment=${m.attachment} />` : html`<div class="message-body">${m.body}</div>`}
  </li>`;
}

// chat-kit.js makes a file's node (shared with the widget); it is put in once per message.
function Attachment({ attachment }) {
  const holder = useRef(null);
  useEffect(() => {
    holder.current.replaceChildren(kit.attachmentNode(attachment, { className: "message-file" }));
  }, [attachment.url]);
  return html`<div class="message-attachment" ref=${holder}></div>`;
}

function Typing({ who, lang }) {
  const names = Object.keys(who || {});
  if (!names.length) return html`<p id="typing" class="typing" hidden></p>`;
  const text = names.map((n) => (n === "reader" ? say(lang, "reader_typing") : say(lang, "typing", { name: n }))).join(" ");
  return html`<p id="typing" class="typing">${text}</p>`;
}

function Notice({ notice, lang, act }) {
  return html`<p class=${"notice " + notice.kind} role=${notice.kind === "error" ? "alert" : "status"}>
    ${say(lang, notice.key)}${notice.text ? " (" + notice.text + ")" : ""}
    <button type="button" class="link" onClick=${act.dismiss}>${say(lang, "dismiss")}</button>
  </p>`;
}

function Composer({ state, act }) {
  const lang = state.lang;
  const note = state.mode === "note";
  const text = state.drafts[state.current] || "";
  function keydown(e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); act.send(); }
    if (e.key === "Escape") e.currentTarget.blur();
  }
  return html`<form id="composer" class=${"composer" + (note ? " composing-note" : "")}
      onSubmit=${(e) => { e.preventDefault(); act.send(); }}>
    <div class="modes" role="radiogroup">
      <label><input type="radio" name="mode" value="reply" checked=${!note} onChange=${() => act.mode("reply")} /> ${say(lang, "mode_reply")}</label>
      <label><input type="radio" name="mode" value="note" checked=${note} onChange=${() => act.mode("note")} /> ${say(lang, "mode_note")}</label>
    </div>
    <textarea id="composer-text" rows="3" maxlength="4000" value=${text}
      placeholder=${say(lang, note ? "note_placeholder" : "draft_placeholder")}
      onInput=${(e) => act.draft(e.currentTarget.value)} onKeyDown=${keydown}></textarea>
    <div class="composer-actions">
      <label class="attach">
        <input id="attach-file" class="visually-hidden" type="file" accept="image/png,image/jpeg,image/gif,image/webp,application/pdf"
          onChange=${(e) => { act.upload(e.currentTarget.files[0]); e.currentTarget.value = ""; }} />
        <span class="attach-button" aria-hidden="true">📎</span> ${say(lang, "attach")}
      </label>
      <button type="submit" id="send" disabled=${!text.trim()}>${say(lang, "send")}</button>
    </div>
  </form>`;
}
