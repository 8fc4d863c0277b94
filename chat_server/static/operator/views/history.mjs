/* A line of a conversation's history: who assigned, transferred, snoozed, closed or reopened
 * it, which tags they added or removed, and when. Operators only; the reader never sees these. */
import { html } from "../html.mjs";
import { nameOf } from "../store.mjs";
import { say } from "../strings.mjs";
import { clock } from "./format.mjs";

export function ActionLine({ action, state }) {
  const lang = state.lang;
  const d = action.details || {};
  const who = (id) => (id == null ? "" : nameOf(state, id) || say(lang, "someone"));
  const fill = {
    actor: action.actor_id == null ? "" : who(action.actor_id),
    to: d.to != null ? who(d.to) : say(lang, "queue_of", { group: d.group || "" }),
    until: d.until ? clock(lang, d.until) : "",
    changes: (d.added || []).map((t) => "+" + t).concat((d.removed || []).map((t) => "−" + t)).join(" "),
  };
  return html`<li class="action" data-kind=${action.kind}>
    <span>${say(lang, key(action), fill)}</span>
    ${d.note && html`<q class="action-note">${d.note}</q>`}
    <time>${clock(lang, action.created_at)}</time>
  </li>`;
}

function key(action) {
  const d = action.details || {};
  if (action.kind === "assigned") {
    if (d.how) return "action_assigned_" + d.how;
    return d.to == null ? "action_unassigned" : "action_assigned";
  }
  if (action.kind === "snoozed" && !d.until) return "action_snoozed_reader";
  if (action.kind === "woke") return "action_woke_" + (d.why === "reader" ? "reader" : "timer");
  if (action.kind === "reopened" && action.actor_id == null) return "action_reopened_reader";
  return "action_" + action.kind;
}
