/* The operator page: login, live inbox, conversation, presence. No build step, no framework;
 * what it shares with the reader's widget is in chat-kit.js (served from /widget/).
 * Under a strict CSP (no inline code): everything user-written goes in with textContent.
 */
(function () {
  "use strict";
  var kit = window.HelpCenterChatKit;
  var el = kit.el;
  var $ = function (id) { return document.getElementById(id); };
  var prefs = kit.storage("operator-", kit.TEXT);  // "operator-lang": a plain "ru" or "en"
  var state = {
    me: null, csrf: "", ws: null, retry: kit.backoff(400, false), view: "unassigned", current: null,
    lastId: 0, operators: [], unread: 0, baseTitle: document.title,
    lang: prefs.get("lang", null) || ((navigator.language || "en").slice(0, 2) === "ru" ? "ru" : "en")
  };
  function s(key) { var d = window.OperatorStrings[state.lang] || window.OperatorStrings.en; return d[key] || key; }
  function time(ms) { return new Date(ms).toLocaleString(state.lang); }
  function translate() {
    document.documentElement.lang = state.lang;
    Array.prototype.forEach.call(document.querySelectorAll("[data-i18n]"), function (node) {
      node.textContent = s(node.getAttribute("data-i18n"));
    });
  }

  function api(path, body) {
    var options = { credentials: "same-origin", headers: {} };
    if (body !== undefined) {
      options.method = "POST";
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRF-Token"] = state.csrf;
      options.body = JSON.stringify(body);
    }
    return fetch(path, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) { var e = new Error(data.error || ("http " + r.status)); e.status = r.status; throw e; }
        return data;
      });
    });
  }
  window.OperatorApi = { api: api, el: el, s: s, time: time };

  // ------------------------------------------------------------------ login
  function showLogin() {
    $("app").hidden = true;
    $("login").hidden = false;
    $("login-email").focus();
  }
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    api("/api/operator/login", { email: $("login-email").value, password: $("login-password").value })
      .then(function (data) { $("login-password").value = ""; start(data); })
      .catch(function (err) {
        $("login-error").textContent = s(err.message === "too_many_attempts" ? "too_many_attempts" : "bad_credentials");
        $("login-error").hidden = false;
      });
  });
  $("logout").addEventListener("click", function () {
    api("/api/operator/logout", {}).finally(function () { if (state.ws) state.ws.close(); location.reload(); });
  });
  $("lang-toggle").addEventListener("click", function () {
    state.lang = state.lang === "ru" ? "en" : "ru";
    prefs.set("lang", state.lang);
    translate();
    refreshInbox();
    if (state.current) openConversation(state.current.id);
  });

  function start(data) {
    state.me = data.operator;
    state.csrf = data.csrf;
    $("login").hidden = true;
    $("app").hidden = false;
    $("me-name").textContent = state.me.name;
    $("presence").value = state.me.status === "online" ? "online" : "away";
    translate();
    connect();
    refreshInbox();
  }

  // ------------------------------------------------------------------ live socket
  function connect() {
    var ws = new WebSocket(location.origin.replace(/^http/, "ws") + "/ws/operator");
    state.ws = ws;
    ws.onopen = function () { state.retry.reset(); $("connection").textContent = s("connected"); };
    ws.onmessage = function (e) { receive(JSON.parse(e.data)); };
    ws.onclose = function (e) {
      state.ws = null;
      $("connection").textContent = s("reconnecting");
      // 4401: no session; 4440: it ended (logout elsewhere, disabled, new password).
      if (e.code === 4401 || e.code === 4440) { showLogin(); return; }
      setTimeout(connect, state.retry.next());
    };
  }
  function send(frame) {
    if (state.ws && state.ws.readyState === 1) { state.ws.send(JSON.stringify(frame)); return true; }
    return false;
  }
  function receive(f) {
    if (f.type === "welcome") {
      state.operators = f.operators;
      setCounts(f.counts);
      if (state.current) send({ type: "open", conversation_id: state.current.id, after_id: state.lastId });
      send({ type: "presence", status: $("presence").value });
    } else if (f.type === "message" || f.type === "ack") {
      if (state.current && f.message.conversation_id === state.current.id) appendMessage(f.message);
      if (f.type === "message") {
        if (f.message.author_kind === "reader") alertNew();
        refreshInbox();
      }
    } else if (f.type === "history") {
      f.messages.forEach(appendMessage);
    } else if (f.type === "conversation") {
      if (state.current && f.conversation.id === state.current.id) { state.current = f.conversation; showHeader(); }
      refreshInbox();
    } else if (f.type === "typing") {
      if (state.current && f.conversation_id === state.current.id) {
        $("typing").textContent = f.side === "reader" ? s("reader_typing") : s("typing").replace("{name}", f.name);
        $("typing").hidden = !f.typing;
      }
    } else if (f.type === "read") {
      if (state.current && f.conversation_id === state.current.id && f.side === "reader") markRead(f.message_id);
    } else if (f.type === "presence") {
      state.operators.forEach(function (o) { if (o.id === f.operator_id) o.status = f.status; });
    }
  }
  $("presence").addEventListener("change", function () {
    var status = $("presence").value;
    if (!send({ type: "presence", status: status })) api("/api/operator/presence", { status: status });
  });
  setInterval(function () { send({ type: "ping" }); }, 25000);

  // ------------------------------------------------------------------ new-message alerts
  var audio = null;
  function beep() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      var osc = audio.createOscillator(), gain = audio.createGain();
      osc.frequency.value = 880;
      gain.gain.value = 0.08;
      osc.connect(gain);
      gain.connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.15);
    } catch { /* no sound available */ }
  }
  function alertNew() {
    beep();
    if (document.hidden) {
      state.unread += 1;
      document.title = "(" + state.unread + ") " + state.baseTitle;
    }
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { state.unread = 0; document.title = state.baseTitle; }
  });

  // ------------------------------------------------------------------ inbox
  var refreshTimer = null;
  function refreshInbox() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(loadInbox, 150);
  }
  function setCounts(counts) {
    Object.keys(counts).forEach(function (k) {
      var node = document.querySelector('[data-count="' + k + '"]');
      if (node) node.textContent = String(counts[k]);
    });
  }
  function loadInbox() {
    api("/api/operator/inbox?view=" + encodeURIComponent(state.view)).then(function (data) {
      setCounts(data.counts);
      var list = $("conversations");
      list.textContent = "";
      if (!data.conversations.length) list.appendChild(el("li", "empty", s("empty")));
      data.conversations.forEach(function (c) {
        var item = el("li", "conversation-item" + (state.current && state.current.id === c.id ? " active" : ""));
        var button = el("button", "conversation-link");
        button.type = "button";
        button.appendChild(el("strong", "who", c.reader_name || c.reader_email || s("anonymous")));
        if (c.rating) button.appendChild(el("span", "badge", c.rating === "sad" ? "😞" : c.rating));
        if (c.last_author === "reader" && c.status === "open") button.appendChild(el("span", "waiting", "●"));
        button.appendChild(el("span", "when", time(c.updated_at)));
        if (c.article_id) button.appendChild(el("span", "article", c.article_id));
        button.addEventListener("click", function () { openConversation(c.id); });
        item.appendChild(button);
        list.appendChild(item);
      });
    }).catch(function (err) { if (err.status === 401) showLogin(); });
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-view]"), function (button) {
    button.addEventListener("click", function () {
      state.view = button.getAttribute("data-view");
      Array.prototype.forEach.call(document.querySelectorAll("[data-view]"), function (b) { b.classList.toggle("active", b === button); });
      loadInbox();
    });
  });

  // ------------------------------------------------------------------ one conversation
  function openConversation(id) {
    api("/api/operator/conversations/" + id).then(function (data) {
      state.current = data.conversation;
      state.lastId = 0;
      $("messages").textContent = "";
      $("typing").hidden = true;
      $("conversation").hidden = false;
      $("context").hidden = false;
      showHeader();
      showContext(data);
      data.messages.forEach(appendMessage);
      markRead(data.conversation.reader_read_id);
      loadInbox();
      $("composer-text").focus();
    });
  }
  function showHeader() {
    var c = state.current;
    $("conversation-title").textContent = s("conversation") + " #" + c.id + (c.article_id ? " · " + c.article_id : "");
    var select = $("assignee");
    select.textContent = "";
    var none = el("option", "", s("nobody"));
    none.value = "";
    select.appendChild(none);
    state.operators.forEach(function (o) {
      var option = el("option", "", o.name);
      option.value = String(o.id);
      select.appendChild(option);
    });
    select.value = c.assignee_id ? String(c.assignee_id) : "";
    $("toggle-status").textContent = c.status === "open" ? s("close") : s("reopen");
  }
  function dl(target, pairs) {
    var list = $(target);
    list.textContent = "";
    pairs.forEach(function (pair) {
      if (pair[1] === undefined || pair[1] === null || pair[1] === "") return;
      list.appendChild(el("dt", "", pair[0]));
      list.appendChild(el("dd", "", typeof pair[1] === "object" ? JSON.stringify(pair[1]) : pair[1]));
    });
  }
  function showContext(data) {
    var v = data.reader || {};
    dl("reader-info", [["name", v.name], ["email", v.email || data.conversation.email], ["user_id", v.user_id]]
      .concat(Object.keys(v.attributes || {}).map(function (k) { return [k, v.attributes[k]]; })));
    var ctx = data.conversation.context || {};
    dl("context-info", Object.keys(ctx).map(function (k) { return [k, ctx[k]]; })
      .concat([[s("rating"), data.conversation.rating], [s("article"), data.conversation.article_id]]));
    var earlier = $("earlier");
    earlier.textContent = "";
    data.earlier.forEach(function (c) {
      var item = el("li");
      var button = el("button", "link", "#" + c.id + " · " + time(c.created_at) + " · " + c.status);
      button.type = "button";
      button.addEventListener("click", function () { openConversation(c.id); });
      item.appendChild(button);
      earlier.appendChild(item);
    });
  }
  function appendMessage(m) {
    var list = $("messages");
    if (list.querySelector('[data-id="' + m.id + '"]')) return;
    var item = el("li", "message " + m.author_kind + (m.internal ? " note" : ""));
    item.setAttribute("data-id", m.id);
    var head = el("div", "message-head");
    var who = m.author_kind === "operator" ? (m.author_name || "operator") : s("reader");
    head.appendChild(el("strong", "", who));
    if (m.internal) head.appendChild(el("span", "badge", s("note")));
    head.appendChild(el("time", "", time(m.created_at)));
    item.appendChild(head);
    if (m.attachment) item.appendChild(kit.attachmentNode(m.attachment, { className: "message-file" }));
    else item.appendChild(el("div", "message-body", m.body));
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
    if (m.id > state.lastId) {
      state.lastId = m.id;
      if (m.author_kind === "reader" && !document.hidden) send({ type: "read", conversation_id: m.conversation_id, message_id: m.id });
    }
  }
  function markRead(readId) {
    Array.prototype.forEach.call($("messages").querySelectorAll(".message.operator:not(.note)"), function (node) {
      if (Number(node.getAttribute("data-id")) <= readId && !node.querySelector(".read")) {
        node.querySelector(".message-head").appendChild(el("span", "read", "✓✓ " + s("read")));
      }
    });
  }
  $("composer").addEventListener("submit", function (e) {
    e.preventDefault();
    var text = $("composer-text").value;
    if (!text.trim() || !state.current) return;
    var note = document.querySelector('input[name="mode"]:checked').value === "note";
    var frame = { type: note ? "note" : "reply", conversation_id: state.current.id, client_id: kit.clientId(), body: text };
    if (!send(frame)) {
      // The socket is reconnecting: the same client id over REST cannot double-post.
      api("/api/operator/conversations/" + state.current.id + (note ? "/note" : "/reply"), { body: text, client_id: frame.client_id })
        .then(function (data) { appendMessage(data.message); });
    }
    $("composer-text").value = "";
  });
  $("attach-file").addEventListener("change", function () {
    var file = $("attach-file").files[0];
    if (!file || !state.current) return;
    var data = new FormData();
    data.append("client_id", kit.clientId());
    data.append("file", file, file.name);
    fetch("/api/operator/conversations/" + state.current.id + "/attachments",
          { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRF-Token": state.csrf } })
      .then(function (r) { return r.json(); })
      .then(function (j) { if (j.message) appendMessage(j.message); });
    $("attach-file").value = "";
  });
  $("composer-text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) $("composer").requestSubmit();
  });
  $("composer-text").addEventListener("input", kit.typingThrottle(
    function () { return state.current && state.current.id; }, send));
  $("assignee").addEventListener("change", function () {
    var value = $("assignee").value;
    send({ type: "assign", conversation_id: state.current.id, operator_id: value ? Number(value) : null });
  });
  $("assign-me").addEventListener("click", function () {
    send({ type: "assign", conversation_id: state.current.id, operator_id: state.me.id });
  });
  $("toggle-status").addEventListener("click", function () {
    send({ type: state.current.status === "open" ? "close" : "reopen", conversation_id: state.current.id });
  });

  // ------------------------------------------------------------------ tabs
  Array.prototype.forEach.call(document.querySelectorAll("[data-tab]"), function (button) {
    button.addEventListener("click", function () {
      var tab = button.getAttribute("data-tab");
      Array.prototype.forEach.call(document.querySelectorAll("[data-tab]"), function (b) { b.classList.toggle("active", b === button); });
      ["inbox", "ratings", "searches"].forEach(function (name) { $("tab-" + name).hidden = name !== tab; });
      if (tab !== "inbox" && window.OperatorReports) window.OperatorReports[tab]();
    });
  });

  translate();
  api("/api/operator/me").then(start).catch(showLogin);
})();
