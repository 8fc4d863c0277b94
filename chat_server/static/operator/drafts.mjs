/* Text typed and not sent, kept per conversation in this browser (across reloads), so it
 * never follows the operator into another customer's conversation. */
const kit = window.HelpCenterChatKit;
const saved = kit.storage("operator-draft-");

export function loadDraft(id) { return saved.get(String(id), ""); }

export function saveDraft(id, text) {
  // An emptied box forgets its draft rather than keeping "" for every conversation opened.
  if (text) saved.set(String(id), text);
  else { try { localStorage.removeItem("operator-draft-" + id); } catch { /* not kept */ } }
}
