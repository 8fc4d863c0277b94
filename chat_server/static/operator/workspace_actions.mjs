/* What the workspace's views may do (merged into app.mjs's `act`): tags, the customer's
 * profile, reminders, saved replies and articles, each a REST call whose answer is an action
 * for the one state. Changes colleagues make arrive as frames (store.mjs, workspace.mjs). */

const OP = "/api/operator";

/* `ctx`: {api, dispatch, state() (the newest), failed(err), reloadInbox()}. */
export function workspaceActs(ctx) {
  const { api, dispatch, state } = ctx;
  const notice = (key, text) => dispatch({ type: "notice", notice: { kind: "error", key: key, text: text } });
  const refusal = (fallback) => (err) => { ctx.failed(err); notice(messageFor(err, fallback)); throw err; };
  const quiet = (promise) => promise.catch(() => {});  // the notice has said it

  const acts = {
    loadCatalog() {
      return api.get(OP + "/tags").then((d) => dispatch({ type: "catalog", tags: d.tags })).catch(ctx.failed);
    },
    tagFilter(tag) { dispatch({ type: "tag_filter", tag: tag }); ctx.reloadInbox(); },
    setTags(tags) {
      const id = state().current;
      return quiet(api.put(OP + "/conversations/" + id + "/tags", { tags: tags })
        .then((d) => dispatch({ type: "frame", frame: { type: "tags", conversation_id: id, tags: d.tags } }))
        .catch(refusal("bad_tag")));
    },
    addTag(name) {
      const have = currentTags(state());
      const tag = name.trim().toLowerCase();
      if (!tag || have.indexOf(tag) >= 0) return Promise.resolve();
      return acts.setTags(have.concat([tag]));
    },
    removeTag(name) { return acts.setTags(currentTags(state()).filter((t) => t !== name)); },

    loadProfile(readerId) {
      if (!readerId) return Promise.resolve();
      return api.get(OP + "/readers/" + encodeURIComponent(readerId))
        .then((d) => dispatch({ type: "profile", reader_id: readerId, data: d })).catch(ctx.failed);
    },
    addNote(body) {
      const readerId = openReader(state());
      return quiet(api.post(OP + "/readers/" + encodeURIComponent(readerId) + "/notes", { body: body })
        .then(() => acts.loadProfile(readerId)).catch(refusal("save_failed")));
    },
    deleteNote(id) {
      const readerId = openReader(state());
      return quiet(api.del(OP + "/readers/" + encodeURIComponent(readerId) + "/notes/" + id)
        .then(() => acts.loadProfile(readerId)).catch(refusal("save_failed")));
    },

    addReminder(fields) {
      const s = state();
      const body = { ...fields, conversation_id: s.current };
      return quiet(api.post(OP + "/reminders", body).then(afterReminder).catch(refusal("save_failed")));
    },
    changeReminder(id, changes) {
      return quiet(api.post(OP + "/reminders/" + id, changes).then(afterReminder).catch(refusal("save_failed")));
    },
    loadReminders(due, owner) {
      const s = state();
      const d = due || s.reminders.due, o = owner || s.reminders.owner;
      return api.get(OP + "/reminders?due=" + d + "&owner=" + o)
        .then((r) => dispatch({ type: "reminders", due: d, owner: o, items: r.reminders })).catch(ctx.failed);
    },
    countDue() {
      return api.get(OP + "/reminders?due=today&owner=me")
        .then((r) => dispatch({ type: "due_count", count: r.reminders.length })).catch(ctx.failed);
    },

    loadReplies(lang) {
      return api.get(OP + "/replies?lang=" + encodeURIComponent(lang || ""))
        .then((d) => dispatch({ type: "replies", lang: lang || "", replies: d.replies })).catch(ctx.failed);
    },
    saveReply(fields, id) {
      const path = OP + "/replies" + (id ? "/" + String(id).replace("personal:", "") : "");
      return api.post(path, fields).then(reloadReplies).catch(refusal("save_failed"));
    },
    deleteReply(id) {
      return quiet(api.del(OP + "/replies/" + String(id).replace("personal:", "")).then(reloadReplies)
        .catch(refusal("save_failed")));
    },
    findArticles(query, lang) {
      const q = query.trim();
      dispatch({ type: "articles", query: q, items: null });
      if (!q) return Promise.resolve();
      return api.get(OP + "/articles?lang=" + encodeURIComponent(lang || "") + "&q=" + encodeURIComponent(q))
        .then((d) => { if (state().articles.query === q) dispatch({ type: "articles", query: q, items: d.articles }); })
        .catch((err) => { ctx.failed(err); dispatch({ type: "articles", query: q, items: [] }); });
    },

    addCatalogTag(fields) {
      return api.post(OP + "/tags", fields).then(acts.loadCatalog).catch(refusal("bad_tag"));
    },
    removeCatalogTag(name) {
      return quiet(api.del(OP + "/tags/" + encodeURIComponent(name)).then(acts.loadCatalog).catch(refusal("save_failed")));
    },
  };

  // The frame tells every page; this one also refreshes its own lists without waiting for it.
  function afterReminder(d) {
    dispatch({ type: "frame", frame: { type: "reminder", reminder: d.reminder, due: false } });
    const s = state();
    if (s.tab === "reminders") acts.loadReminders();
    acts.countDue();
  }

  function reloadReplies() {
    return Promise.all(Object.keys(state().replies).map((lang) => acts.loadReplies(lang)));
  }

  return acts;
}

function currentTags(state) {
  const c = state.detail && state.detail.conversation;
  return (c && c.tags) || [];
}

function openReader(state) {
  return state.detail && state.detail.conversation ? state.detail.conversation.reader_id : null;
}

/* The words for a refused change: the server's code when the page has words for it. */
function messageFor(err, fallback) {
  const known = ["shortcut_taken", "admin_only", "bad_tag", "bad_reply", "bad_reminder", "not_yours"];
  return known.indexOf(err && err.code) >= 0 ? err.code : fallback;
}
