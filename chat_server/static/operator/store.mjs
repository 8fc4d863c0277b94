/* The operator page's one state, and the only way it changes: reduce(state, action) returns the
 * next state; the page renders from it and nothing else (app.mjs). Server frames, REST
 * answers and clicks are all actions, so a change made on this page and the same change made
 * by a colleague take the same path. No DOM here: node runs it in the tests.
 */

import { WORKSPACE_FRAMES, WORKSPACE_HANDLERS, tagged, workspaceState } from "./workspace.mjs";

export const VIEWS = ["unassigned", "mine", "open", "snoozed", "closed"];
export const TYPING_FADE_MS = 6000;  // a "typing" nobody renewed or stopped (a closed tab) fades

export function initialState(lang, now) {
  return {
    me: null, csrf: "", lang: lang, now: now,
    connection: "connecting",  // connecting | online | offline | login
    tab: "inbox", screen: "list",  // screen: list | conversation | context (a phone's)
    view: "unassigned", sort: "recent",
    operators: {},  // id -> {id, name, email, groups, status, presence}
    groups: [],  // [{name, title: {lang: text}}]: where conversations can be transferred
    rows: {},  // conversation id -> its inbox row (conversation + reader, preview, unread)
    counts: { unassigned: 0, mine: 0, open: 0, snoozed: 0, closed: 0 },
    pages: {},  // "view:sort" -> {loaded: rows fetched, more: whether the server has more}
    current: null,  // the open conversation's id
    detail: null,  // {id, reader, earlier, messages, readId, loading}
    typing: {},  // conversation id -> {who: expires at}
    drafts: {},  // conversation id -> text not sent yet
    draftSince: {},  // conversation id -> its last message id when the draft was begun
    viewing: {},  // a colleague's socket -> {operator_id, conversation_id}
    panel: null,  // "transfer" | "snooze": the open form in the conversation's header
    alerts: 0,  // notices for this operator (a transfer to them) not seen yet
    mode: "reply",  // reply | note
    notice: null,  // {kind: "error" | "info", key, text}
    reports: { ratings: null, searches: null },
    accept: "image/png,image/jpeg,image/gif,image/webp,application/pdf",  // welcome says what passes
    ...workspaceState(),
  };
}

/* Whether a conversation (or the `was` of an event) belongs in an inbox view. */
export function inView(view, conversation, meId) {
  if (!conversation) return false;
  const open = conversation.status === "open";
  if (view === "unassigned") return open && conversation.assignee_id == null;
  if (view === "mine") return open && conversation.assignee_id === meId;
  if (view === "open") return open;
  if (view === "snoozed") return conversation.status === "snoozed";
  if (view === "closed") return conversation.status === "closed";
  return true;
}

/* The rows of the chosen view, in its order: what the list shows. Kept for the same rows,
 * view and sort: every redraw asks, and most redraws change no row. */
let lastRows = null;
export function visibleRows(state) {
  const key = [state.rows, state.view, state.sort, state.me && state.me.id, state.tagFilter];
  if (lastRows && lastRows.key.every((part, i) => part === key[i])) return lastRows.rows;
  const rows = sortedRows(state);
  lastRows = { key: key, rows: rows };
  return rows;
}

function sortedRows(state) {
  const rows = Object.values(state.rows)
    .filter((r) => inView(state.view, r, state.me && state.me.id) && tagged(state, r));
  if (state.sort === "waiting") {
    rows.sort((a, b) => (a.waiting_since == null) - (b.waiting_since == null)
      || (a.waiting_since || 0) - (b.waiting_since || 0) || a.id - b.id);
  } else {
    rows.sort((a, b) => b.updated_at - a.updated_at || b.id - a.id);
  }
  return rows;
}

export function pageKey(state) { return state.view + ":" + state.sort + ":" + state.tagFilter; }

export function reduce(state, action) {
  const handler = HANDLERS[action.type];
  return handler ? handler(state, action) : state;
}

/* --- what the server says ---------------------------------------------------------------- */

function frame(state, action) {
  const f = action.frame;
  const handler = FRAMES[f.type];
  return handler ? handler(state, f) : state;
}

const FRAMES = {
  welcome(state, f) {
    const operators = {};
    f.operators.forEach((o) => { operators[o.id] = o; });
    // After a reconnect the lists are fetched again: what was missed is not patched up.
    const viewing = {};
    (f.viewing || []).forEach((v) => { viewing[v.socket] = v; });
    return { ...state, connection: "online", operators: operators, counts: f.counts, groups: f.groups || [],
      me: { ...state.me, ...f.operator }, rows: {}, pages: {}, viewing: viewing,
      accept: (f.attachments && f.attachments.accept) || state.accept };
  },
  message(state, f) { return withMessage(state, f.message, f.conversation, f.was, false); },
  ack(state, f) { return withMessage(state, f.message, f.conversation, f.was, true); },
  conversation(state, f) { return moved(state, f.conversation, f.was); },
  history(state, f) {
    if (!state.detail || state.detail.id !== f.conversation.id) return state;
    let next = moved(state, f.conversation, "same");
    f.messages.forEach((m) => { next = withDetailMessage(next, m); });
    return next;
  },
  typing(state, f) {
    const who = f.side === "reader" ? "reader" : f.name;
    const current = { ...(state.typing[f.conversation_id] || {}) };
    if (f.typing) current[who] = Date.now() + TYPING_FADE_MS;
    else delete current[who];
    return { ...state, typing: { ...state.typing, [f.conversation_id]: current } };
  },
  read(state, f) {
    if (f.side === "reader") {
      if (!state.detail || state.detail.id !== f.conversation_id) return state;
      return { ...state, detail: { ...state.detail, readId: Math.max(state.detail.readId, f.message_id) } };
    }
    const row = state.rows[f.conversation_id];
    if (!row) return state;
    // Read up to the last message: nothing unread. Else the row is asked for again.
    const all = f.message_id >= row.last_message_id;
    return setRow(state, { ...row, operator_read_id: f.message_id, unread: all ? 0 : row.unread, stale: !all });
  },
  presence(state, f) {
    // `status` is online, away or offline as colleagues see it; the operator's own choice
    // (online or away) is what their select shows.
    const operator = state.operators[f.operator_id];
    if (!operator) return state;
    const operators = { ...state.operators, [f.operator_id]: { ...operator, presence: f.status } };
    const mine = state.me && state.me.id === f.operator_id && f.status !== "offline";
    return { ...state, operators: operators, me: mine ? { ...state.me, status: f.status } : state.me };
  },
  action(state, f) {
    const action = f.action;
    let next = state;
    if (state.detail && state.detail.id === action.conversation_id
        && !state.detail.actions.some((a) => a.id === action.id)) {
      next = { ...next, detail: { ...next.detail, actions: next.detail.actions.concat([action]) } };
    }
    if (forMe(state, action)) {
      next = { ...next, alerts: next.alerts + 1,
        notice: { kind: "info", key: action.kind === "transferred" ? "transferred_to_you" : "assigned_to_you",
          fill: { id: action.conversation_id, name: nameOf(state, action.actor_id), note: (action.details || {}).note || "" },
          conversation_id: action.conversation_id } };
    }
    return next;
  },
  viewing(state, f) {
    const viewing = { ...state.viewing };
    if (f.conversation_id == null) delete viewing[f.socket];
    else viewing[f.socket] = { operator_id: f.operator_id, conversation_id: f.conversation_id };
    return { ...state, viewing: viewing };
  },
  error(state, f) { return { ...state, notice: { kind: "error", key: "error_" + f.code } }; },
  ...WORKSPACE_FRAMES,
};

/* A transfer or an assignment to this operator by someone else: they are told. */
function forMe(state, action) {
  if (!state.me || action.actor_id === state.me.id) return false;
  const to = (action.details || {}).to;
  return to === state.me.id && (action.kind === "transferred" || action.kind === "assigned");
}

export function nameOf(state, operatorId) {
  const operator = operatorId != null && state.operators[operatorId];
  return operator ? operator.name : "";
}

/* The colleagues looking at a conversation now (not this operator, each once). */
export function viewers(state, conversationId) {
  const ids = new Set();
  Object.values(state.viewing).forEach((v) => {
    if (v.conversation_id === conversationId && v.operator_id !== (state.me && state.me.id)) ids.add(v.operator_id);
  });
  return Array.from(ids).map((id) => nameOf(state, id)).filter(Boolean);
}

/* A colleague's answer written since this operator began their draft: they should know
 * before they send theirs. */
export function collision(state) {
  const id = state.current, since = state.draftSince[id];
  if (!state.detail || state.detail.id !== id || !since) return null;
  const answer = state.detail.messages.find((m) => m.author_kind === "operator" && !m.internal
    && !m.pending && m.id > since && String(m.author_id) !== String(state.me.id));
  return answer ? answer.author_name || "" : null;
}

/* A message: its conversation moves between lists, its row shows it, the open conversation
 * gains it. `own`: this page sent it (an ack), so no unread and no alert. */
function withMessage(state, message, conversation, was, own) {
  let next = moved(state, conversation, was);
  const row = next.rows[conversation.id];
  if (row && !message.internal) {
    const fromReader = message.author_kind === "reader";
    const reading = state.detail && state.detail.id === conversation.id && !own;
    next = setRow(next, {
      ...row,
      preview: message.body,
      unread: fromReader && !reading ? (row.unread || 0) + 1 : row.unread,
      waiting_since: fromReader ? (row.waiting_since || message.created_at)
        : (message.author_kind === "operator" ? null : row.waiting_since),
    });
  }
  if (message.author_kind === "reader" && next.typing[conversation.id]) {
    const typing = { ...next.typing[conversation.id] };
    delete typing.reader;  // the message they were typing has arrived
    next = { ...next, typing: { ...next.typing, [conversation.id]: typing } };
  }
  return withDetailMessage(next, message);
}

function byOrder(a, b) { return (a.pending ? 1 : 0) - (b.pending ? 1 : 0) || a.id - b.id; }

function withDetailMessage(state, message) {
  const detail = state.detail;
  if (!detail || detail.id !== message.conversation_id) return state;
  if (detail.messages.some((m) => m.id === message.id)) return state;
  const messages = detail.messages.filter((m) => !(m.pending && m.client_id && m.client_id === message.client_id));
  messages.push(message);
  messages.sort(byOrder);
  return { ...state, detail: { ...detail, messages: messages } };
}

/* A conversation's new state. `was` (where it was before; null: nowhere, it is new) moves it
 * between the counts; "same" means the event did not move it. Its row keeps what the list
 * knows of the reader; a conversation the page has no row for gets one to fill in. */
function moved(state, conversation, was) {
  const me = state.me && state.me.id;
  let counts = state.counts;
  if (was !== "same" && was !== undefined) {
    counts = { ...counts };
    VIEWS.forEach((v) => {
      counts[v] += (inView(v, conversation, me) ? 1 : 0) - (inView(v, was, me) ? 1 : 0);
    });
  }
  const old = state.rows[conversation.id];
  const row = old ? { ...old, ...conversation }
    : { ...conversation, reader_name: "", reader_email: "", unread: 0, preview: "", waiting_since: null, stale: true };
  let next = { ...state, counts: counts, rows: { ...state.rows, [conversation.id]: row } };
  if (state.detail && state.detail.id === conversation.id) {
    next = { ...next, detail: { ...next.detail, conversation: { ...next.detail.conversation, ...conversation } } };
  }
  return next;
}

function setRow(state, row) {
  return { ...state, rows: { ...state.rows, [row.id]: row } };
}

/* --- what the page asked for and got ------------------------------------------------------ */

const HANDLERS = {
  frame: frame,
  login: (state, a) => ({ ...state, me: a.me, csrf: a.csrf, connection: "connecting" }),
  logged_out: (state) => ({ ...state, me: null, connection: "login" }),
  connection: (state, a) => ({ ...state, connection: a.status }),
  lang: (state, a) => ({ ...state, lang: a.lang }),
  tab: (state, a) => ({ ...state, tab: a.tab }),
  view: (state, a) => ({ ...state, view: a.view, screen: "list" }),
  sort: (state, a) => ({ ...state, sort: a.sort }),
  screen: (state, a) => ({ ...state, screen: a.screen }),
  mode: (state, a) => ({ ...state, mode: a.mode }),
  tick: (state, a) => ({ ...state, now: a.now, typing: expired(state.typing, a.now) }),
  notice: (state, a) => ({ ...state, notice: a.notice }),
  counts: (state, a) => ({ ...state, counts: a.counts }),
  inbox(state, a) {
    const rows = { ...state.rows };
    a.rows.forEach((r) => { rows[r.id] = { ...r, stale: false }; });
    const key = a.view + ":" + a.sort + ":" + (a.tag || "");
    const loaded = a.offset + a.rows.length;
    return { ...state, rows: rows, counts: a.counts || state.counts,
      pages: { ...state.pages, [key]: { loaded: loaded, more: a.more } } };
  },
  opening: (state, a) => ({ ...state, current: a.id, screen: "conversation", notice: null,
    panel: null, profile: null, articles: { query: "", items: null },
    detail: { id: a.id, loading: true, messages: [], actions: [], readId: 0, conversation: null, reader: null,
      earlier: [], reminders: [] } }),
  opened(state, a) {
    if (state.current !== a.data.conversation.id) return state;
    const c = a.data.conversation;
    // Messages heard while the conversation loaded stay, whichever came first.
    const known = new Set(a.data.messages.map((m) => m.id));
    const heard = state.detail ? state.detail.messages.filter((m) => !known.has(m.id)) : [];
    const messages = a.data.messages.concat(heard).sort(byOrder);
    const actions = (a.data.actions || []).concat(state.detail ? state.detail.actions : [])
      .filter((x, i, all) => all.findIndex((y) => y.id === x.id) === i).sort((x, y) => x.id - y.id);
    let next = { ...state, detail: { id: c.id, loading: false, conversation: c, reader: a.data.reader,
      earlier: a.data.earlier, messages: messages, actions: actions, readId: c.reader_read_id,
      reminders: a.data.reminders || [] } };
    next = moved(next, c, "same");
    if (next.drafts[c.id] && !(next.draftSince[c.id] > 0)) {
      // A draft kept from before: what it may collide with is what comes after this.
      next = { ...next, draftSince: { ...next.draftSince, [c.id]: lastMessageId(next, c.id) } };
    }
    const row = next.rows[c.id];
    if (row && a.data.reader) {
      next = setRow(next, { ...row, reader_name: a.data.reader.name, reader_email: a.data.reader.email });
    }
    return next;
  },
  closed_conversation: (state) => ({ ...state, current: null, detail: null, screen: "list" }),
  read_sent(state, a) {
    const row = state.rows[a.id];
    return row ? setRow(state, { ...row, unread: 0 }) : state;
  },
  draft(state, a) {
    const since = a.text ? (state.draftSince[a.id] || lastMessageId(state, a.id)) : 0;
    return { ...state, drafts: { ...state.drafts, [a.id]: a.text },
      draftSince: { ...state.draftSince, [a.id]: since } };
  },
  // "Send anyway": the colleague's answer has been seen, the draft counts from now.
  seen_collision: (state, a) => ({ ...state, notice: null,
    draftSince: { ...state.draftSince, [a.id]: lastMessageId(state, a.id) } }),
  panel: (state, a) => ({ ...state, panel: state.panel === a.panel ? null : a.panel }),
  alerts_seen: (state) => ({ ...state, alerts: 0 }),
  pending(state, a) {
    const detail = state.detail;
    if (!detail || detail.id !== a.message.conversation_id) return state;
    return { ...state, detail: { ...detail, messages: detail.messages.concat([a.message]) } };
  },
  failed(state, a) {
    const detail = state.detail;
    const messages = detail ? detail.messages.filter((m) => m.client_id !== a.client_id) : [];
    return { ...state, notice: { kind: "error", key: a.key },
      detail: detail ? { ...detail, messages: messages } : detail };
  },
  report: (state, a) => ({ ...state, reports: { ...state.reports, [a.name]: a.rows } }),
  ...WORKSPACE_HANDLERS,
};

// Message ids only grow: "since the draft began" is "after this id", whatever the clocks say.
function lastMessageId(state, id) {
  const detail = state.detail && state.detail.id === id ? state.detail : null;
  const ids = detail ? detail.messages.filter((m) => !m.pending).map((m) => m.id) : [];
  return ids.length ? Math.max(...ids) : -1;
}

function expired(typing, now) {
  let changed = false;
  const next = {};
  Object.keys(typing).forEach((id) => {
    const kept = {};
    Object.keys(typing[id]).forEach((who) => {
      if (typing[id][who] > now) kept[who] = typing[id][who]; else changed = true;
    });
    next[id] = kept;
  });
  return changed ? next : typing;
}
