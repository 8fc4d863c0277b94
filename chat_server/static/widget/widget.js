/* The reader's chat widget. Plain JS, no build step. (Ratings and failed searches: feedback.js;
 * what the operator page shares with it: chat-kit.js.)
 *
 * Loaded by partials/chat_scripts.html after the page (defer + idle), configured by the JSON
 * in #helpcenter-chat-config: the sidecar's URL and the theme's chat_* strings (every key, in
 * English where the page's language has none: the build fills them in, so none live here).
 * Everything a person wrote is put on the page with textContent, never as HTML. The protocol
 * is docs/protocol.md.
 */
(function () {
  "use strict";
  // A page built before chat-kit.js existed does not load it: load it, then this script again.
  function kitThenAgain(base, script) {
    if (!script || script.hasAttribute("data-after-kit")) return;
    var kitScript = document.createElement("script");
    kitScript.src = base + "/widget/chat-kit.js";
    kitScript.onload = function () {
      var again = document.createElement("script");
      again.src = script.src;
      again.setAttribute("data-after-kit", "");
      document.head.appendChild(again);
    };
    document.head.appendChild(kitScript);
  }
  var configNode = document.getElementById("helpcenter-chat-config");
  if (!configNode || window.HelpCenterChat) return;
  var cfg = JSON.parse(configNode.textContent);
  var base = cfg.url.replace(/\/+$/, "");
  var kit = window.HelpCenterChatKit;
  if (!kit) return kitThenAgain(base, document.currentScript);
  var el = kit.el;
  var T = cfg.strings || {};
  var store = kit.storage("hc-chat:");  // shared with feedback.js: one reader token per browser
  // Refusals of an email address (docs/protocol.md, `email`): the string that explains each.
  var EMAIL_ERRORS = { bad_email: "email_invalid", rate_limited: "email_limited",
                       email_unavailable: "email_unavailable" };
  // Refusals of an upload (docs/protocol.md, HTTP endpoints).
  var UPLOAD_ERRORS = { too_large: "attach_too_big", daily_quota: "attach_quota",
                        storage_full: "attach_full", rate_limited: "attach_quota" };
  function t(key) { return T["chat_" + key] || key; }
  // "This kind of file cannot be sent. Allowed: ..." with the kinds the server named.
  function refusedType(allowed) {
    return t("attach_type").replace("{kinds}", allowed.map(function (k) { return t("kind_" + k); }).join(", "));
  }
  function context() {
    var tz = "";
    try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch { /* old browser */ }
    return { page: location.href.split("#")[0], title: document.title, lang: cfg.lang,
             article_id: cfg.article ? cfg.article.id : "", browser: navigator.userAgent.slice(0, 300),
             timezone: tz, local_time: new Date().toString().slice(0, 60) };
  }

  // ---------------------------------------------------------------- the chat
  var chat = {
    ws: null, ready: false, panel: null, parts: {}, conversation: null, messages: {},
    outbox: store.get("outbox", []), availability: null, retry: kit.backoff(500, true),
    pendingArticle: null, link: null, identity: null, lookingUp: false, lookedUp: false,

    connect: function () {
      if (chat.ws || chat.lookingUp) return;
      if (cfg.identity_url && !chat.lookedUp) return chat.lookUp();
      var ws = new WebSocket(base.replace(/^http/, "ws") + "/ws/reader");
      chat.ws = ws;
      ws.onopen = function () {
        chat.retry.reset();
        var hello = { type: "hello", token: store.get("token", undefined) || undefined,
                      link: chat.link || undefined, context: context(), lang: cfg.lang };
        if (chat.identity) {
          ["user_id", "user_hash", "name", "email", "attributes"].forEach(function (k) {
            if (chat.identity[k] !== undefined) hello[k] = chat.identity[k];
          });
        }
        ws.send(JSON.stringify(hello));
        chat.link = null;
      };
      ws.onmessage = function (e) { chat.receive(JSON.parse(e.data)); };
      ws.onclose = function (e) {
        chat.ws = null;
        chat.ready = false;
        chat.status();
        if (e.code === 4401 || e.code === 4403) return; // refused for good: do not hammer
        setTimeout(chat.connect, chat.retry.next());
      };
    },
    // chat.identity_url: once, before the first hello, ask the host product (its cookies,
    // CORS) who is logged in. A JSON object with a user_id names them as identify() would;
    // anything else (204, 401, a network error, bad JSON, 3 s without an answer) leaves the
    // reader anonymous, quietly. An identify() made on the page itself wins.
    lookUp: function () {
      chat.lookingUp = true;
      var abort = typeof AbortController === "function" ? new AbortController() : null;
      var timer = setTimeout(function () { if (abort) abort.abort(); done(); }, 3000);
      function done(user) {
        if (!chat.lookingUp) return;
        clearTimeout(timer);
        chat.lookingUp = false;
        chat.lookedUp = true;
        if (user && typeof user === "object" && user.user_id && !chat.identity) remember(user);
        chat.connect();
      }
      try {
        fetch(cfg.identity_url, { credentials: "include", mode: "cors", cache: "no-store",
                                  signal: abort ? abort.signal : undefined })
          .then(function (r) { return r.status === 200 ? r.json() : null; })
          .then(done, function () { done(); });
      } catch { done(); }
    },
    send: function (frame) {
      if (chat.ws && chat.ready) chat.ws.send(JSON.stringify(frame));
    },
    receive: function (f) {
      if (f.type === "welcome") {
        store.set("token", f.token);
        chat.ready = true;
        chat.availability = f.availability;
        // What the server takes (chat.attachments_kinds): the file input offers only that.
        if (f.attachments) chat.accept = f.attachments.accept;
        if (chat.accept && chat.parts.file) chat.parts.file.accept = chat.accept;
        var open = f.conversations.filter(function (c) { return c.status === "open"; })[0];
        var saved = store.get("conversation", null);
        chat.conversation = open ? open.id : (saved && f.conversations.some(function (c) { return c.id === saved; }) ? saved : null);
        if (chat.conversation) chat.send({ type: "resume", conversation_id: chat.conversation, after_id: 0 });
        chat.flushOutbox();
        chat.status();
      } else if (f.type === "ack") {
        chat.outbox = chat.outbox.filter(function (m) { return m.client_id !== f.client_id; });
        store.set("outbox", chat.outbox);
        if (!f.message.conversation_id || f.message.conversation_id === chat.conversation || !chat.conversation) {
          chat.conversation = f.conversation.id;
          store.set("conversation", chat.conversation);
        }
        chat.show(f.message, f.conversation);
        chat.status();
      } else if (f.type === "message") {
        if (f.message.conversation_id !== chat.conversation && f.message.author_kind === "reader") {
          chat.conversation = f.message.conversation_id; // started in another tab
        }
        chat.show(f.message, f.conversation);
        if (f.message.author_kind === "operator") chat.notify();
      } else if (f.type === "history") {
        f.messages.forEach(function (m) { chat.show(m, f.conversation); });
        chat.marks(f.conversation.operator_read_id);
      } else if (f.type === "typing") {
        if (chat.parts.typing) chat.parts.typing.hidden = !f.typing;
      } else if (f.type === "read") {
        chat.marks(f.message_id);
      } else if (f.type === "conversation") {
        if (f.conversation.id === chat.conversation && f.conversation.email) chat.emailState("done");
      } else if (f.type === "email_pending") {
        // A confirmation mail is on its way; replies go there once the reader opens its link.
        if (f.conversation_id === chat.conversation) chat.emailState("pending", f.email);
      } else if (f.type === "availability") {
        chat.availability = f;
        chat.status();
      } else if (f.type === "error" && f.code === "not_found") {
        chat.conversation = null;
        store.set("conversation", null);
      } else if (f.type === "error" && EMAIL_ERRORS[f.code]) {
        chat.emailState("error", EMAIL_ERRORS[f.code]);
      }
    },
    flushOutbox: function () {
      chat.outbox.forEach(function (m) { chat.send(m); });
    },
    submit: function (body) {
      body = body.trim();
      if (!body) return;
      var frame = { type: "message", client_id: kit.clientId(), body: body.slice(0, 4000),
                    conversation_id: chat.conversation, context: context() };
      var topic = chat.parts.topic;
      if (topic && !frame.conversation_id && topic.value) frame.topic = topic.value;
      if (chat.pendingArticle) {
        frame.article = chat.pendingArticle;
        frame.conversation_id = null; // a question about an article is its own conversation
        chat.conversation = null;
        chat.pendingArticle = null;
        chat.clear();
      }
      chat.outbox.push(frame);
      store.set("outbox", chat.outbox);
      chat.show({ id: 0, client_id: frame.client_id, author_kind: "reader", body: frame.body, pending: true });
      chat.send(frame);
    },

    // ------------------------------------------------------------ rendering
    build: function () {
      var launcher = el("button", "hc-chat-launcher");
      launcher.type = "button";
      launcher.setAttribute("aria-label", t("open"));
      launcher.setAttribute("aria-expanded", "false");
      launcher.appendChild(el("span", "hc-chat-launcher-icon", "💬"));
      var badge = el("span", "hc-chat-badge");
      badge.hidden = true;
      launcher.appendChild(badge);
      launcher.addEventListener("click", function () { chat.panel && !chat.panel.hidden ? chat.close() : chat.open(); });
      document.body.appendChild(launcher);
      chat.parts.launcher = launcher;
      chat.parts.badge = badge;
    },
    buildPanel: function () {
      var panel = el("section", "hc-chat-panel");
      panel.setAttribute("role", "dialog");
      panel.setAttribute("aria-label", t("title"));
      panel.hidden = true;
      var head = el("header", "hc-chat-head");
      head.appendChild(el("strong", "hc-chat-title", t("title")));
      var close = el("button", "hc-chat-close", "×");
      close.type = "button";
      close.setAttribute("aria-label", t("close"));
      close.addEventListener("click", chat.close);
      head.appendChild(close);
      panel.appendChild(head);
      var greeting = el("p", "hc-chat-greeting", t("greeting"));
      panel.appendChild(greeting);
      var status = el("p", "hc-chat-status");
      status.setAttribute("aria-live", "polite");
      panel.appendChild(status);
      // Search first: a reader who finds the article does not need to wait for an answer.
      var search = el("form", "hc-chat-search");
      search.setAttribute("role", "search");
      search.action = cfg.search_url || "";
      search.method = "get";
      var q = el("input");
      q.type = "search";
      q.name = "q";
      q.placeholder = t("search_placeholder");
      q.setAttribute("aria-label", t("search_placeholder"));
      search.appendChild(q);
      var results = el("ul", "hc-chat-results");
      search.appendChild(results);
      // Enter goes to the site's search page; typing shows the best few articles here.
      var searchTimer = null;
      q.addEventListener("input", function () {
        clearTimeout(searchTimer);
        searchTimer = setTimeout(function () { chat.search(q.value, results); }, 200);
      });
      panel.appendChild(search);
      var prompt = el("p", "hc-chat-prompt");
      prompt.hidden = true;
      panel.appendChild(prompt);
      var log = el("ol", "hc-chat-log");
      log.setAttribute("role", "log");
      log.setAttribute("aria-live", "polite");
      panel.appendChild(log);
      var typing = el("p", "hc-chat-typing", t("typing"));
      typing.hidden = true;
      panel.appendChild(typing);
      panel.appendChild(chat.buildEmailForm());
      var form = el("form", "hc-chat-compose");
      var input = el("textarea");
      input.rows = 2;
      input.maxLength = 4000;
      input.placeholder = t("placeholder");
      input.setAttribute("aria-label", t("placeholder"));
      var attach = el("label", "hc-chat-attach");
      attach.title = t("attach");
      attach.appendChild(el("span", "", "📎"));
      var file = el("input");
      file.type = "file";
      file.accept = chat.accept || "image/png,image/jpeg,image/gif,image/webp,application/pdf";  // until the welcome says
      chat.parts.file = file;
      file.setAttribute("aria-label", t("attach"));
      file.addEventListener("change", function () { if (file.files[0]) chat.upload(file.files[0]); file.value = ""; });
      attach.appendChild(file);
      var topic = null;
      if (cfg.topics && cfg.topics.length) {
        topic = el("select", "hc-chat-topic");
        topic.setAttribute("aria-label", t("topic"));
        var none = el("option", "", t("topic"));
        none.value = "";
        topic.appendChild(none);
        cfg.topics.forEach(function (item) {
          var option = el("option", "", item.title);
          option.value = item.id;
          topic.appendChild(option);
        });
        form.appendChild(topic);
      }
      form.appendChild(attach);
      form.appendChild(chat.emojiButton(input, form));
      var sendButton = el("button", "hc-chat-send", t("send"));
      sendButton.type = "submit";
      form.appendChild(input);
      form.appendChild(sendButton);
      form.addEventListener("submit", function (e) { e.preventDefault(); chat.submit(input.value); input.value = ""; });
      input.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit")); }
      });
      input.addEventListener("input", chat.typing);
      panel.appendChild(form);
      panel.addEventListener("keydown", function (e) { if (e.key === "Escape") chat.close(); });
      document.body.appendChild(panel);
      chat.panel = panel;
      Object.assign(chat.parts, { status: status, log: log, typing: typing, input: input, prompt: prompt,
                                  topic: topic });
    },
    buildEmailForm: function () {
      var box = el("div", "hc-chat-email");
      box.hidden = true;
      var form = el("form");
      form.noValidate = true; // our own message, in the reader's language, not the browser's
      var label = el("label", "", t("email_prompt"));
      var input = el("input");
      input.type = "email";
      input.required = true;
      input.autocomplete = "email";
      label.appendChild(input);
      var button = el("button", "", t("email_save"));
      button.type = "submit";
      var error = el("p", "hc-chat-error", t("email_invalid"));
      error.hidden = true;
      form.appendChild(label);
      form.appendChild(button);
      form.appendChild(error);
      form.addEventListener("submit", function (e) {
        e.preventDefault();
        var value = input.value.trim();
        if (!/^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$/.test(value)) return chat.emailState("error", EMAIL_ERRORS.bad_email);
        error.hidden = true;
        if (chat.conversation) chat.send({ type: "email", conversation_id: chat.conversation, email: value });
      });
      var pending = el("p", "hc-chat-email-pending");
      pending.hidden = true;
      var done = el("p", "hc-chat-email-done", t("email_saved"));
      done.hidden = true;
      box.appendChild(form);
      box.appendChild(pending);
      box.appendChild(done);
      Object.assign(chat.parts, { emailBox: box, emailForm: form, emailError: error,
                                  emailPending: pending, emailDone: done });
      return box;
    },
    // The email box shows one of: the form (with an error), "check your inbox", "thank you".
    emailState: function (state, detail) {
      var p = chat.parts;
      if (!p.emailForm) return;
      p.emailForm.hidden = state === "pending" || state === "done";
      p.emailError.hidden = state !== "error";
      if (state === "error") p.emailError.textContent = t(detail);
      p.emailPending.hidden = state !== "pending";
      if (state === "pending") {
        p.emailPending.textContent = t("email_pending").replace("{email}", detail);
      }
      p.emailDone.hidden = state !== "done";
    },
    search: function (query, list) {
      var api = window.HelpCenterSearch;
      if (!api || !api.query || !query.trim()) { list.textContent = ""; return; }
      // The site's own search (search-ui.js); it may answer twice: titles first, then all.
      api.query(query, { typing: true, limit: 5 }, function (found) {
        list.textContent = "";
        (found && found.results || []).slice(0, 5).forEach(function (hit) {
          var li = el("li");
          var a = el("a", "", hit.title);
          a.href = (cfg.root || "") + hit.url;
          li.appendChild(a);
          list.appendChild(li);
        });
      });
    },
    show: function (m, conversation) {
      if (!chat.parts.log) return;
      if (conversation && chat.conversation && conversation.id !== chat.conversation) return;
      var key = m.client_id && m.author_kind === "reader" ? "c:" + m.client_id : "m:" + m.id;
      var item = chat.messages[key];
      if (!item) {
        item = el("li", "hc-chat-msg hc-chat-" + (m.author_kind === "reader" ? "mine" : "theirs"));
        if (m.author_kind === "operator" && m.author_name) item.appendChild(el("span", "hc-chat-author", m.author_name));
        if (m.attachment) item.appendChild(kit.attachmentNode(m.attachment, { className: "hc-chat-file", prefix: base, lazy: true }));
        else {
          var body = el("span", "hc-chat-body");
          body.appendChild(kit.linkedText(m.body));
          item.appendChild(body);
        }
        var mark = el("span", "hc-chat-mark");
        item.appendChild(mark);
        chat.parts.log.appendChild(item);
        chat.messages[key] = item;
        chat.parts.log.scrollTop = chat.parts.log.scrollHeight;
      }
      if (m.id) item.setAttribute("data-id", m.id);
      if (m.author_kind === "reader") {
        var markNode = item.querySelector(".hc-chat-mark");
        if (!m.pending && markNode.textContent === "") markNode.textContent = "✓";
        markNode.title = m.pending ? t("sending") : t("delivered");
      }
      if (m.author_kind === "operator" && chat.parts.typing) chat.parts.typing.hidden = true;
      if (m.author_kind === "operator" && m.id && chat.panel && !chat.panel.hidden && chat.ws) {
        chat.send({ type: "read", conversation_id: m.conversation_id, message_id: m.id });
      }
    },
    marks: function (readId) {
      if (!chat.parts.log || !readId) return;
      Array.prototype.forEach.call(chat.parts.log.querySelectorAll(".hc-chat-mine[data-id]"), function (item) {
        if (Number(item.getAttribute("data-id")) <= readId) {
          var mark = item.querySelector(".hc-chat-mark");
          mark.textContent = "✓✓";
          mark.title = t("read");
        }
      });
    },
    clear: function () {
      chat.messages = {};
      if (chat.parts.log) chat.parts.log.textContent = "";
    },
    status: function () {
      if (!chat.parts.status) return;
      // The topic is asked once, before a conversation exists (config.yml chat.topics).
      if (chat.parts.topic) chat.parts.topic.hidden = !!chat.conversation;
      var a = chat.availability;
      var text;
      if (!chat.ready) text = t("connecting");
      else if (a && a.live) text = t("online").replace("{n}", a.reply_minutes);
      else if (a && a.next_open) {
        var back = new Date(a.next_open);
        var when = back.toLocaleString(cfg.lang, { weekday: "long", hour: "2-digit", minute: "2-digit" });
        text = t("closed").replace("{when}", when);
      } else text = t("nobody");
      chat.parts.status.textContent = text;
      var offline = chat.ready && a && !a.live;
      chat.parts.emailBox.hidden = !(offline && chat.conversation);
    },
    notify: function () {
      if (chat.panel && !chat.panel.hidden) return;
      var n = Number(chat.parts.badge.textContent || 0) + 1;
      chat.parts.badge.textContent = String(n);
      chat.parts.badge.hidden = false;
    },
    typing: kit.typingThrottle(function () { return chat.conversation; }, function (frame) { chat.send(frame); }),
    open: function (options) {
      if (!chat.panel) chat.buildPanel();
      chat.panel.hidden = false;
      chat.parts.launcher.setAttribute("aria-expanded", "true");
      chat.parts.badge.hidden = true;
      chat.parts.badge.textContent = "";
      if (options && options.article) {
        chat.pendingArticle = options.article;
        chat.parts.prompt.textContent = t("sad_prompt");
        chat.parts.prompt.hidden = false;
      }
      chat.connect();
      chat.refreshAvailability();
      if (chat.ready && chat.conversation) chat.send({ type: "resume", conversation_id: chat.conversation, after_id: 0 });
      chat.status();
      chat.parts.input.focus();
    },
    // 😀 beside the attach button: the picker (emoji.js and its data) loads on the first click.
    emojiButton: function (input, form) {
      var button = el("button", "hc-chat-emoji-button", "😀");
      button.type = "button";
      button.title = t("emoji");
      button.setAttribute("aria-label", t("emoji"));
      button.setAttribute("aria-expanded", "false");
      var open = null;
      function close(focus) {
        if (open) open.parentNode.removeChild(open);
        open = null;
        button.setAttribute("aria-expanded", "false");
        if (focus) focus.focus();
      }
      function show() {
        open = window.HCEmoji.picker({
          base: base, lang: cfg.lang,
          strings: { title: t("emoji"), search: t("emoji_search"), nothing: t("emoji_nothing"),
                     failed: t("emoji_failed"), loading: t("emoji_loading") },
          onPick: function (text) { close(null); window.HCEmoji.insertAtCaret(input, text); },
          onClose: function () { close(button); }
        });
        form.parentNode.insertBefore(open, form);
        button.setAttribute("aria-expanded", "true");
      }
      button.addEventListener("click", function () {
        if (open) return close(button);
        if (window.HCEmoji) return show();
        var script = document.createElement("script");
        script.src = base + "/widget/emoji.js";
        script.onload = show;
        document.head.appendChild(script);
      });
      return button;
    },
    upload: function (file) {
      if (!chat.conversation) { chat.parts.status.textContent = t("attach_first"); return; }
      if (file.size > 10 * 1024 * 1024) { chat.parts.status.textContent = t("attach_too_big"); return; }
      var data = new FormData();
      data.append("token", store.get("token"));
      data.append("conversation_id", String(chat.conversation));
      data.append("client_id", kit.clientId());
      data.append("file", file, file.name);
      fetch(base + "/api/attachments", { method: "POST", body: data, mode: "cors" })
        .then(function (r) {
          return r.json().then(function (j) { if (!r.ok) { var e = new Error(j.error); e.allowed = j.allowed; throw e; } return j; });
        })
        .then(function (j) { chat.show(j.message, j.conversation); chat.status(); })  // an old refusal goes
        .catch(function (e) {
          chat.parts.status.textContent = e && e.message === "type_not_allowed" ? refusedType(e.allowed || [])
            : t(UPLOAD_ERRORS[e && e.message] || "attach_failed");
        });
    },
    refreshAvailability: function () {
      // Business hours begin and end with no event on the socket: ask when the panel opens.
      fetch(base + "/api/availability", { mode: "cors" })
        .then(function (r) { return r.json(); })
        .then(function (a) { chat.availability = a; chat.status(); })
        .catch(function () { /* the socket will tell us when it connects */ });
    },
    close: function () {
      if (!chat.panel) return;
      chat.panel.hidden = true;
      chat.parts.launcher.setAttribute("aria-expanded", "false");
      chat.parts.launcher.focus();
    }
  };

  var started = false;
  function start() {
    if (started) return;
    started = true;
    var css = document.createElement("link");
    css.rel = "stylesheet";
    css.href = base + "/widget/widget.css";
    document.head.appendChild(css);
    chat.build();
    // Readers who chatted before (or left a message unsent) reconnect at once.
    if (store.get("conversation", null) || chat.outbox.length) chat.connect();
    // An email reply links back here with #chat=<signed link>: open that conversation, in
    // this browser too, then drop the link from the address bar.
    var linked = /^#chat=([\w.-]+)$/.exec(location.hash);
    if (linked) {
      chat.link = linked[1];
      history.replaceState(null, "", location.pathname + location.search);
      chat.open();
    }
  }
  window.HelpCenterChat = {
    open: function (options) { start(); chat.open(options); },  // a 😞 may come before `load`
    close: chat.close
  };
  // The host product names its logged-in user (README, "Identify your users"): the next
  // hello carries them, and an open socket says hello again. The server believes it only
  // with a user_hash made with CHAT_IDENTITY_SECRET; calls made before this script loaded
  // wait in HelpCenter.q. (The help center's own pages run no such script: there
  // chat.identity_url answers the same question, see chat.lookUp.)
  function remember(user) {
    chat.identity = { user_id: String(user.user_id), user_hash: String(user.user_hash || ""),
                      name: user.name, email: user.email, attributes: user.attributes };
  }
  function identify(user) {
    if (!user || typeof user !== "object" || !user.user_id) return;
    remember(user);
    if (chat.ws) chat.ws.close();  // onclose reconnects with the identity
  }
  var queued = (window.HelpCenter && window.HelpCenter.q) || [];
  window.HelpCenter = { identify: identify, open: window.HelpCenterChat.open };
  if (queued.length) identify(queued[queued.length - 1]);
  // After the page: the widget never competes with the article for the first paint.
  if (document.readyState === "complete") start();
  else window.addEventListener("load", function () { (window.requestIdleCallback || setTimeout)(start); });
})();
