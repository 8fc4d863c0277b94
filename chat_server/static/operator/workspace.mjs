/* The workspace's part of the one state (store.mjs spreads these in): the team's tags and
 * the inbox's tag filter, saved replies per language, articles found for a reply, the open
 * customer's profile, and the reminders list. Reducers only, like store.mjs. */

export function workspaceState() {
  return {
    catalog: [],  // [{name, colour, description, source}]
    tagFilter: "",  // "": every conversation
    replies: {},  // lang -> [reply] (team's and this operator's)
    articles: { query: "", items: null },  // found for the reply box's article panel
    profile: null,  // {reader_id, data} of the open conversation's reader
    reminders: { due: "today", owner: "me", items: null },
    dueCount: 0,  // this operator's reminders due today (the tab's badge)
  };
}

export const WORKSPACE_FRAMES = {
  tags(state, f) {
    let next = state;
    const row = state.rows[f.conversation_id];
    if (row) next = { ...next, rows: { ...next.rows, [row.id]: { ...row, tags: f.tags } } };
    const detail = next.detail;
    if (detail && detail.id === f.conversation_id && detail.conversation) {
      next = { ...next, detail: { ...detail, conversation: { ...detail.conversation, tags: f.tags } } };
    }
    return next;
  },
  reminder(state, f) {
    const r = f.reminder;
    let next = state;
    if (f.due && state.me && r.owner_id === state.me.id && r.done_at == null) {
      next = { ...next, alerts: next.alerts + 1, notice: { kind: "info", key: "reminder_due",
        fill: { who: whoOf(state, r), note: r.note }, conversation_id: r.conversation_id } };
    }
    return withReminder(next, r);
  },
};

function whoOf(state, reminder) {
  const profile = state.profile && state.profile.reader_id === reminder.reader_id ? state.profile.data.reader : null;
  return (profile && (profile.name || profile.email)) || reminder.reader_name || "#" + (reminder.conversation_id || "");
}

// A reminder made, moved or done: the open conversation's list and the profile follow.
function withReminder(state, reminder) {
  const open = reminder.done_at == null;
  const update = (list) => {
    const others = (list || []).filter((r) => r.id !== reminder.id);
    return open ? others.concat([reminder]).sort((a, b) => a.due_at - b.due_at) : others;
  };
  let next = state;
  if (state.detail && state.detail.conversation && state.detail.conversation.reader_id === reminder.reader_id) {
    next = { ...next, detail: { ...next.detail, reminders: update(next.detail.reminders) } };
  }
  if (state.profile && state.profile.reader_id === reminder.reader_id) {
    next = { ...next, profile: { ...next.profile, data: { ...next.profile.data, reminders: update(next.profile.data.reminders) } } };
  }
  return next;
}

export const WORKSPACE_HANDLERS = {
  catalog: (state, a) => ({ ...state, catalog: a.tags }),
  tag_filter: (state, a) => ({ ...state, tagFilter: a.tag }),
  replies: (state, a) => ({ ...state, replies: { ...state.replies, [a.lang]: a.replies } }),
  articles: (state, a) => ({ ...state, articles: { query: a.query, items: a.items } }),
  profile(state, a) {
    const current = state.detail && state.detail.conversation;
    if (!current || current.reader_id !== a.reader_id) return state;
    return { ...state, profile: { reader_id: a.reader_id, data: a.data } };
  },
  reminders: (state, a) => ({ ...state, reminders: { due: a.due, owner: a.owner, items: a.items },
    dueCount: a.owner === "me" && a.due === "today" ? a.items.length : state.dueCount }),
  due_count: (state, a) => ({ ...state, dueCount: a.count }),
};

/* Whether a row passes the inbox's tag filter. */
export function tagged(state, row) {
  return !state.tagFilter || (row.tags || []).indexOf(state.tagFilter) >= 0;
}
