/* Handing a conversation on: transfer to a colleague or a group's queue with a note, or
 * snooze it until a time or until the reader writes. */
import { useState } from "preact/hooks";
import { html } from "../html.mjs";
import { say } from "../strings.mjs";

export function Transfer({ state, act }) {
  const lang = state.lang;
  const colleagues = Object.values(state.operators).filter((o) => o.id !== state.me.id);
  const [target, setTarget] = useState(colleagues.length ? "op:" + colleagues[0].id : "group:" + ((state.groups[0] || {}).name || ""));
  const [note, setNote] = useState("");
  function submit(e) {
    e.preventDefault();
    const [kind, value] = target.split(/:(.*)/s);
    act.transfer(kind === "op" ? Number(value) : null, kind === "group" ? value : "", note.trim());
  }
  return html`<form id="transfer-form" class="panel" onSubmit=${submit}>
    <label>${say(lang, "transfer")}
      <select id="transfer-target" value=${target} onChange=${(e) => setTarget(e.currentTarget.value)}>
        <optgroup label=${say(lang, "to_operator")}>
          ${colleagues.map((o) => html`<option key=${o.id} value=${"op:" + o.id}>${o.name} · ${say(lang, "presence_" + (o.presence || "offline"))}</option>`)}
        </optgroup>
        <optgroup label=${say(lang, "to_group")}>
          ${state.groups.map((g) => html`<option key=${g.name} value=${"group:" + g.name}>${title(g, lang)}</option>`)}
        </optgroup>
      </select>
    </label>
    <textarea id="transfer-note" rows="2" maxlength="4000" placeholder=${say(lang, "transfer_note")}
      value=${note} onInput=${(e) => setNote(e.currentTarget.value)}></textarea>
    <button type="submit">${say(lang, "do_transfer")}</button>
  </form>`;
}

export function groupTitle(state, name) {
  const group = state.groups.find((g) => g.name === name);
  return group ? title(group, state.lang) : name;
}

export function title(group, lang) {
  const t = group.title || {};
  return t[lang] || t["*"] || Object.values(t)[0] || group.name;
}

export function Snooze({ state, act }) {
  const lang = state.lang;
  const choices = [["snooze_1h", 60], ["snooze_4h", 240], ["snooze_tomorrow", minutesToTomorrow(state.now)], ["snooze_reader", null]];
  return html`<div id="snooze-form" class="panel" role="group" aria-label=${say(lang, "snooze")}>
    ${choices.map(([key, minutes]) => html`<button type="button" key=${key} data-minutes=${minutes == null ? "reader" : minutes}
      onClick=${() => act.snooze(minutes)}>${say(lang, key)}</button>`)}
  </div>`;
}

// Minutes from now to 9:00 tomorrow, the operator's local time.
function minutesToTomorrow(now) {
  const at = new Date(now);
  at.setDate(at.getDate() + 1);
  at.setHours(9, 0, 0, 0);
  return Math.max(1, Math.round((at.getTime() - now) / 60000));
}
