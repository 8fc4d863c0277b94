/* The customer beside the conversation: lasting notes that outlive every conversation, their
 * path (earlier conversations with their tags), and reminders of the next contact with what
 * the trouble is and who is on it. From GET /api/operator/readers/{id} (state.profile). */
import { useState } from "preact/hooks";
import { html } from "../html.mjs";
import { nameOf } from "../store.mjs";
import { say } from "../strings.mjs";
import { clock } from "./format.mjs";
import { TagList } from "./tags.mjs";

const DAY_MS = 24 * 60 * 60 * 1000;

export function CustomerNotes({ state, act }) {
  const lang = state.lang;
  const [text, setText] = useState("");
  const notes = (state.profile && state.profile.data.notes) || [];
  function add(e) {
    e.preventDefault();
    if (!text.trim()) return;
    act.addNote(text.trim());
    setText("");
  }
  return html`<section class="customer-notes" aria-labelledby="notes-title">
    <h3 id="notes-title">${say(lang, "customer_notes")}</h3>
    <ul id="customer-notes">
      ${notes.map((n) => html`<li key=${n.id} data-note=${n.id}>
        <p class="note-body">${n.body}</p>
        <span class="muted">${nameOf(state, n.author_id)} · ${clock(lang, n.created_at)}</span>
        ${(n.author_id === state.me.id || state.me.role === "admin") && html`<button type="button" class="link"
          onClick=${() => act.deleteNote(n.id)}>${say(lang, "delete")}</button>`}
      </li>`)}
    </ul>
    <form id="note-form" class="stacked" onSubmit=${add}>
      <textarea id="customer-note" rows="2" maxlength="2000" value=${text} aria-label=${say(lang, "add_note")}
        placeholder=${say(lang, "customer_note_placeholder")} onInput=${(e) => setText(e.currentTarget.value)}></textarea>
      <button type="submit" disabled=${!text.trim()}>${say(lang, "add_note")}</button>
    </form>
  </section>`;
}

export function CustomerPath({ state, act }) {
  const lang = state.lang;
  const conversations = (state.profile && state.profile.data.conversations) || [];
  if (conversations.length < 2) return null;
  return html`<section aria-labelledby="path-title">
    <h3 id="path-title">${say(lang, "customer_path")}</h3>
    <ol id="customer-path" class="path">
      ${conversations.slice().reverse().map((c) => html`<li key=${c.id} class=${c.id === state.current ? "current" : ""}>
        <button type="button" class="link" onClick=${() => act.open(c.id)} disabled=${c.id === state.current}>
          #${c.id} · ${clock(lang, c.created_at)} · ${say(lang, "status_" + c.status)}</button>
        <${TagList} names=${c.tags} catalog=${state.catalog} lang=${lang} />
      </li>`)}
    </ol>
  </section>`;
}

// "Tomorrow at 10:00" in the operator's own clock, as a datetime-local field wants it.
function tomorrowMorning(now) {
  const d = new Date(now + DAY_MS);
  d.setHours(10, 0, 0, 0);
  return localInput(d.getTime());
}

export function localInput(ms) {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

export function Reminders({ state, act }) {
  const lang = state.lang;
  const list = (state.detail && state.detail.reminders) || [];
  const [when, setWhen] = useState(() => tomorrowMorning(state.now));
  const [note, setNote] = useState("");
  const [owner, setOwner] = useState(String(state.me.id));
  function add(e) {
    e.preventDefault();
    const due = new Date(when).getTime();
    if (!note.trim() || !Number.isFinite(due)) return;
    act.addReminder({ due_at: due, note: note.trim(), owner_id: Number(owner) });
    setNote("");
  }
  return html`<section class="reminders" aria-labelledby="reminders-title">
    <h3 id="reminders-title">${say(lang, "reminders")}</h3>
    <ul id="reminder-list">${list.map((r) => html`<${ReminderItem} key=${r.id} reminder=${r} state=${state} act=${act} />`)}</ul>
    <form id="reminder-form" class="stacked" onSubmit=${add}>
      <label>${say(lang, "reminder_note")}
        <input id="reminder-note" value=${note} maxlength="1000" onInput=${(e) => setNote(e.currentTarget.value)} /></label>
      <label>${say(lang, "reminder_when")}
        <input id="reminder-when" type="datetime-local" value=${when} onInput=${(e) => setWhen(e.currentTarget.value)} /></label>
      <label>${say(lang, "reminder_owner")}
        <select id="reminder-owner" value=${owner} onChange=${(e) => setOwner(e.currentTarget.value)}>
          ${Object.values(state.operators).map((o) => html`<option key=${o.id} value=${String(o.id)}>${o.name}</option>`)}
        </select></label>
      <button type="submit" id="reminder-add" disabled=${!note.trim()}>${say(lang, "add_reminder")}</button>
    </form>
  </section>`;
}

/* One reminder: when, what, whose; done, or again a day later. */
export function ReminderItem({ reminder, state, act, withCustomer }) {
  const lang = state.lang;
  const late = reminder.due_at <= state.now;
  return html`<li class=${"reminder" + (late ? " late" : "")} data-reminder=${reminder.id}>
    <span class="reminder-when">${clock(lang, reminder.due_at)}</span>
    <span class="reminder-note">${reminder.note}</span>
    <span class="muted">${nameOf(state, reminder.owner_id)}</span>
    ${withCustomer && html`<button type="button" class="link" disabled=${!reminder.conversation_id}
      onClick=${() => { act.tab("inbox"); act.open(reminder.conversation_id); }}>${reminder.reader_name || reminder.reader_email || say(lang, "reminder_customer")}
      ${reminder.conversation_id ? " " + say(lang, "reminder_for", { id: reminder.conversation_id }) : ""}</button>`}
    <span class="reminder-actions">
      <button type="button" class="done" onClick=${() => act.changeReminder(reminder.id, { done: true })}>${say(lang, "done")}</button>
      <button type="button" class="later" onClick=${() => act.changeReminder(reminder.id, { due_at: Math.max(reminder.due_at, state.now) + DAY_MS })}>${say(lang, "tomorrow_again")}</button>
    </span>
  </li>`;
}
