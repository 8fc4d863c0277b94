/* The operator page: one state (store.mjs), changed only by dispatch(action), rendered from it
 * by Preact after every change. This module holds what touches the outside world: the live
 * socket, REST calls, drafts, sound and the title; views/*.mjs only draw and call `act`.
 */
import { render } from "preact";
import { html } from "./html.mjs";
import { makeApi } from "./api.mjs";
import { loadDraft, saveDraft } from "./drafts.mjs";
import { TYPING_FADE_MS, collision, initialState, pageKey, reduce } from "./store.mjs";
import { say } from "./strings.mjs";
import { Page } from "./views/page.mjs";
import { workspaceActs } from "./workspace_actions.mjs";

const kit = window.HelpCenterChatKit;
const prefs = kit.storage("operator-", kit.TEXT);  // "operator-lang": a plain "ru" or "en"
const root = document.getElementById("root");
const baseTitle = document.title;
const lang = prefs.get("lang", null) || ((navigator.language || "en").slice(0, 2) === "ru" ? "ru" : "en");

let state = initialState(lang, Date.now());
let painting = false;
const api = makeApi(() => state.csrf);

function dispatch(action) {
  const before = state;
  state = reduce(state, action);
  if (state !== before) paintSoon();
  return state;
}

// Many frames can arrive in one go (a reconnect's history): draw once after them.
function paintSoon() {
  if (painting) return;
  painting = true;
  queueMicrotask(() => {
    painting = false;
    render(html`<${Page} state=${state} act=${act} />`, root);
    document.documentElement.lang = state.lang;
    titleBadge();
  });
}

/* --- the live socket ----------------------------------------------------------------------- */
let socket = null;
let welcomed = false;  // this page has been connected before: a welcome now is a reconnect
const retry = kit.backoff(400, false);

function connect() {
  const ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/operator");
  socket = ws;
  ws.onmessage = (e) => heard(JSON.parse(e.data));
  ws.onclose = (e) => {
    if (socket === ws) socket = null;
    // 4401: no session; 4440: it ended (logout elsewhere, disabled, new password).
    if (e.code === 4401 || e.code === 4440 || !state.me) { dispatch({ type: "logged_out" }); return; }
    dispatch({ type: "connection", status: "offline" });
    setTimeout(connect, retry.next());
  };
}

function send(frame) {
  if (socket && socket.readyState === 1) { socket.send(JSON.stringify(frame)); return true; }
  return false;
}

function heard(frame) {
  const before = state;
  dispatch({ type: "frame", frame: frame });
  if (state.counts !== before.counts) moves += 1;
  if (frame.type === "typing" && frame.typing) setTimeout(tick, TYPING_FADE_MS + 100);
  if (frame.type === "welcome") {
    retry.reset();
    // A dropped socket that comes back is a "new page" to the server, which makes it online;
    // an operator who had said away stays away.
    if (welcomed && before.me && before.me.status === "away" && state.me.status !== "away") {
      send({ type: "presence", status: "away" });
    }
    welcomed = true;
    loadInbox(0);
    work.loadCatalog();
    work.countDue();
    if (state.current && state.detail && state.detail.conversation) work.loadProfile(state.detail.conversation.reader_id);
    if (state.current) {
      send({ type: "open", conversation_id: state.current, after_id: lastId() });
      send({ type: "viewing", conversation_id: state.current });
    }
  } else if (state.alerts > before.alerts) {
    alertNew();
    notifyBrowser();
  } else if (frame.type === "message") {
    const m = frame.message;
    if (m.author_kind === "reader") alertNew(before);
    if (m.author_kind === "reader" && state.current === m.conversation_id && !document.hidden) markRead(m.id);
  }
  workspaceHeard(frame);
  fetchStaleRows();
}

// Frames that say "ask again": the team's tags, a customer's profile, the reminder lists.
function workspaceHeard(frame) {
  if (frame.type === "tag_catalog") work.loadCatalog();
  if (frame.type === "customer" && state.profile && state.profile.reader_id === frame.reader_id) {
    work.loadProfile(frame.reader_id);
  }
  if (frame.type === "reminder") {
    if (state.tab === "reminders") work.loadReminders();
    work.countDue();
  }
}

function lastId() {
  const messages = state.detail ? state.detail.messages.filter((m) => !m.pending) : [];
  return messages.length ? messages[messages.length - 1].id : 0;
}

/* --- lists --------------------------------------------------------------------------------- */
// Counts come from the server and events move them. A response counted before an event the
// page has already applied would undo that event, so counts are taken only from a response
// with no move heard while it was on its way; otherwise they are asked for again.
let moves = 0;
function loadInbox(offset) {
  const view = state.view, sort = state.sort, tag = state.tagFilter, heardBefore = moves;
  const query = "view=" + view + "&sort=" + sort + "&offset=" + offset + (tag ? "&tag=" + encodeURIComponent(tag) : "");
  return api.get("/api/operator/inbox?" + query).then((data) => {
    const settled = moves === heardBefore;
    dispatch({ type: "inbox", view: view, sort: sort, tag: tag, offset: offset, rows: data.conversations,
      more: data.more, counts: settled ? data.counts : null });
    if (!settled) recount();
  }).catch(failedRequest);
}

let recountTimer = null;
function recount() {
  if (recountTimer) return;
  recountTimer = setTimeout(() => {
    recountTimer = null;
    const heardBefore = moves;
    api.get("/api/operator/inbox?view=all&ids=").then((data) => {
      if (moves === heardBefore) dispatch({ type: "counts", counts: data.counts });
      else recount();
    }).catch(failedRequest);
  }, 300);
}

// Conversations the page heard of but has no full row for (a new one, a colleague's):
// asked for together, once, a moment after the events that named them.
let staleTimer = null;
function fetchStaleRows() {
  if (staleTimer) return;
  staleTimer = setTimeout(() => {
    staleTimer = null;
    const ids = Object.values(state.rows).filter((r) => r.stale).map((r) => r.id).slice(0, 200);
    if (!ids.length) return;
    api.get("/api/operator/inbox?view=all&ids=" + ids.join(",")).then((data) => {
      dispatch({ type: "inbox", view: "ids", sort: "", offset: 0, rows: data.conversations, more: false });
    }).catch(failedRequest);
  }, 150);
}

function failedRequest(err) {
  if (err.status === 401) dispatch({ type: "logged_out" });
}

/* --- one conversation ---------------------------------------------------------------------- */
function openConversation(id) {
  leaveConversation();
  if (!state.drafts[id]) dispatch({ type: "draft", id: id, text: loadDraft(id) });
  dispatch({ type: "opening", id: id });
  send({ type: "viewing", conversation_id: id });
  api.get("/api/operator/conversations/" + id).then((data) => {
    dispatch({ type: "opened", data: data });
    const c = data.conversation, replyLang = (c.context && c.context.lang) || "";
    work.loadProfile(c.reader_id);
    if (!state.replies[replyLang]) work.loadReplies(replyLang);
    const readers = data.messages.filter((m) => m.author_kind === "reader");
    if (readers.length && !document.hidden) markRead(readers[readers.length - 1].id);
  }).catch((err) => {
    failedRequest(err);
    dispatch({ type: "notice", notice: { kind: "error", key: "error_not_found" } });
  });
}

function leaveConversation() {
  typing.stop();  // nobody keeps seeing "typing…" from an operator who left
  if (state.current) send({ type: "viewing", conversation_id: null });
}

function markRead(messageId) {
  if (send({ type: "read", conversation_id: state.current, message_id: messageId })) {
    dispatch({ type: "read_sent", id: state.current });
  }
}

const typing = kit.typingThrottle(() => state.current, send);

function sendText() {
  const id = state.current;
  const text = (state.drafts[id] || "").trim();
  if (!id || !text) return;
  const note = state.mode === "note";
  const colleague = note ? null : collision(state);
  if (colleague !== null) {
    // A colleague answered while this was being written: say so once; sending again sends.
    if (!(state.notice && state.notice.key === "collision")) {
      dispatch({ type: "notice", notice: { kind: "warn", key: "collision", fill: { name: colleague } } });
      return;
    }
    dispatch({ type: "seen_collision", id: id });
  }
  const clientId = kit.clientId();
  const frame = { type: note ? "note" : "reply", conversation_id: id, client_id: clientId, body: text };
  typing.stop();
  dispatch({ type: "pending", message: { id: 0, conversation_id: id, client_id: clientId, body: text,
    author_kind: "operator", author_name: state.me.name, internal: note, created_at: Date.now(), pending: true } });
  setDraft(id, "");
  if (send(frame)) return;
  // The socket is reconnecting: the same client id over REST cannot post twice.
  api.post("/api/operator/conversations/" + id + (note ? "/note" : "/reply"), { body: text, client_id: clientId })
    .then((data) => dispatch({ type: "frame", frame: { type: "ack", message: data.message,
      conversation: data.conversation, was: data.was, client_id: clientId } }))
    .catch(() => {
      dispatch({ type: "failed", client_id: clientId, key: "error_send" });
      setDraft(id, text);
    });
}

function setDraft(id, text) {
  dispatch({ type: "draft", id: id, text: text });
  saveDraft(id, text);
}

function uploadFile(file) {
  const id = state.current;
  if (!file || !id) return;
  const form = new FormData();
  form.append("client_id", kit.clientId());
  form.append("file", file, file.name);
  dispatch({ type: "notice", notice: { kind: "info", key: "sending" } });
  api.upload("/api/operator/conversations/" + id + "/attachments", form)
    .then(() => dispatch({ type: "notice", notice: null }))
    .catch((err) => {
      const known = ["too_large", "type_not_allowed", "no_file", "storage_full", "daily_quota"];
      const key = known.indexOf(err.code) >= 0 ? "error_" + err.code : "error_upload";
      // A refused type names what would pass (chat.attachments_kinds), in the page's language.
      const kinds = ((err.data && err.data.allowed) || []).map((k) => say(state.lang, "kind_" + k)).join(", ");
      dispatch({ type: "notice", notice: { kind: "error", key: key, text: file.name, fill: { kinds: kinds } } });
    });
}

/* --- alerts -------------------------------------------------------------------------------- */
let unseen = 0, audio = null;
function alertNew() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator(), gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.08;
    osc.connect(gain);
    gain.connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.15);
  } catch { /* no sound available */ }
  if (document.hidden) unseen += 1;
  titleBadge();
}
// A transfer or an assignment to this operator: a system notification where allowed.
function notifyBrowser() {
  const notice = state.notice;
  if (!notice || !("Notification" in window) || Notification.permission !== "granted") return;
  try {
    const note = new Notification(say(state.lang, "app_title"), { body: say(state.lang, notice.key, notice.fill), tag: "operator-" + notice.conversation_id });
    note.onclick = () => { window.focus(); if (notice.conversation_id) openConversation(notice.conversation_id); };
  } catch { /* not available here */ }
}

function titleBadge() {
  const waiting = state.counts.unassigned;
  const count = unseen + state.alerts;
  const prefix = count ? "(" + count + ") " : "";
  document.title = prefix + (waiting ? "● " : "") + baseTitle;
}
document.addEventListener("visibilitychange", () => {
  if (document.hidden) return;
  unseen = 0;
  if (state.alerts) dispatch({ type: "alerts_seen" });
  titleBadge();
  const row = state.current && state.rows[state.current];
  if (row && row.unread) markRead(row.last_message_id);
});

/* --- what the views may do ----------------------------------------------------------------- */
const work = workspaceActs({ api: api, dispatch: dispatch, state: () => state, failed: failedRequest,
  reloadInbox: () => loadInbox(0) });

const act = {
  ...work,
  api: api,
  login(email, password) {
    return api.post("/api/operator/login", { email: email, password: password }).then(start);
  },
  logout() {
    const ws = socket;
    api.post("/api/operator/logout", {}).finally(() => {
      socket = null;
      if (ws) ws.close();
      dispatch({ type: "logged_out" });
    });
  },
  lang(next) { prefs.set("lang", next); dispatch({ type: "lang", lang: next }); },
  tab(name) {
    dispatch({ type: "tab", tab: name });
    if (name === "ratings") api.get("/api/operator/ratings").then((d) => dispatch({ type: "report", name: "ratings", rows: d.ratings }));
    if (name === "searches") act.reloadSearches();
    if (name === "reminders") work.loadReminders();
    if (name === "library") { work.loadReplies(""); work.loadCatalog(); }
  },
  reloadSearches() {
    api.get("/api/operator/failed-searches").then((d) => dispatch({ type: "report", name: "searches", rows: d.failed_searches }));
  },
  answerSearch(id, articleId) {
    return api.post("/api/operator/failed-searches/" + id + "/answer", { article_id: articleId }).then(act.reloadSearches);
  },
  view(name) { dispatch({ type: "view", view: name }); loadInbox(0); },
  sort(name) { dispatch({ type: "sort", sort: name }); loadInbox(0); },
  more() { const page = state.pages[pageKey(state)]; loadInbox(page ? page.loaded : 0); },
  open: openConversation,
  screen(name) {
    if (name === "list") leaveConversation();
    dispatch({ type: "screen", screen: name });
  },
  draft(text) { setDraft(state.current, text); typing(); },
  mode(name) { dispatch({ type: "mode", mode: name }); },
  send: sendText,
  upload: uploadFile,
  assign(operatorId) { send({ type: "assign", conversation_id: state.current, operator_id: operatorId }); },
  toggleStatus() {
    const c = state.rows[state.current];
    if (c) send({ type: c.status === "open" ? "close" : "reopen", conversation_id: c.id });
  },
  transfer(operatorId, group, note) {
    const frame = { type: "transfer", conversation_id: state.current, note: note };
    if (operatorId != null) frame.operator_id = operatorId; else frame.group = group;
    send(frame);
    dispatch({ type: "panel", panel: "transfer" });
  },
  snooze(minutes) {
    send({ type: "snooze", conversation_id: state.current, minutes: minutes });
    dispatch({ type: "panel", panel: "snooze" });
  },
  panel(name) { dispatch({ type: "panel", panel: name }); },
  openNotice() {
    const id = state.notice && state.notice.conversation_id;
    dispatch({ type: "alerts_seen" });
    if (id) openConversation(id);
  },
  presence(status) {
    if (!send({ type: "presence", status: status })) api.post("/api/operator/presence", { status: status });
  },
  dismiss() { dispatch({ type: "notice", notice: null }); },
};

function start(data) {
  dispatch({ type: "login", me: data.operator, csrf: data.csrf });
  connect();
  // Asked once, on the operator's own click somewhere: browsers refuse a prompt from nowhere.
  if ("Notification" in window && Notification.permission === "default") {
    document.addEventListener("click", () => Notification.requestPermission().catch(() => {}), { once: true });
  }
}

setInterval(() => send({ type: "ping" }), 25000);
// Waiting times (shown in minutes) follow the clock; so does a "typing…" nobody stopped,
// looked at when it would fade. Not every second: twenty pages redrawing their lists every
// second on one machine were what made events late in bench/operator.py.
setInterval(tick, 20000);
function tick() { dispatch({ type: "tick", now: Date.now() }); }

api.get("/api/operator/me").then(start).catch(() => dispatch({ type: "logged_out" }));
paintSoon();
