/* The reminders tab: what falls due today (overdue first) or is already late, this
 * operator's or everyone's, each a way into its conversation. */
import { html } from "../html.mjs";
import { say } from "../strings.mjs";
import { ReminderItem } from "./customer.mjs";

export function DueList({ state, act }) {
  const lang = state.lang;
  const { due, owner, items } = state.reminders;
  const choice = (name, value, key, now) => html`<button type="button" data-choice=${name + "-" + value}
    class=${"view" + (now === value ? " active" : "")} aria-pressed=${now === value ? "true" : "false"}
    onClick=${() => act.loadReminders(name === "due" ? value : due, name === "owner" ? value : owner)}>${say(lang, key)}</button>`;
  return html`<main id="tab-reminders" class="report">
    <h2>${say(lang, "reminders")}</h2>
    <div class="choices">
      ${choice("due", "today", "due_today", due)} ${choice("due", "overdue", "overdue", due)}
      <span class="spacer"></span>
      ${choice("owner", "me", "reminders_mine", owner)} ${choice("owner", "any", "reminders_everyone", owner)}
    </div>
    ${items && items.length === 0 && html`<p class="muted">${say(lang, "no_reminders")}</p>`}
    <ul id="due-reminders" class="due-list">
      ${(items || []).map((r) => html`<${ReminderItem} key=${r.id} reminder=${r} state=${state} act=${act} withCustomer=${true} />`)}
    </ul>
  </main>`;
}
