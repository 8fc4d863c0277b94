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
  // What this script needs loaded before it (partials/chat_scripts.html loads them all, in
  // this order). A page built before one of them existed, or a product's page that copied
  // only widget.js, does not: load the missing ones one after another, then this script again.
  var NEEDS = [["HelpCenterChatKit", "chat-kit.js"], ["HelpCenterReplyTime", "reply-time.js"],
               ["HelpCenterVisit", "widget-visit.js"], ["HelpCenterArticles", "widget-articles.js"]];
  function loadThenAgain(base, script) {
    if (!script || script.hasAttribute("data-after-kit")) return;
    var missing = NEEDS.filter(function (need) { return !window[need[0]]; });
    (function next() {
      var need = missing.shift();
      var node = document.createElement("script");
      if (need) node.src = base + "/widget/" + need[1];
      else {
        node.src = script.src;
        node.setAttribute("data-after-kit", "");
      }
      if (need) node.onload = next;
      document.head.appendChild(node);
    })();
  }
  var configNode = document.getElementById("helpcenter-chat-config");
  if (!configNode || window.HelpCenterChat) return;
  var cfg = JSON.parse(configNode.textContent);
  var base = cfg.url.replace(/\/+$/, "");
  if (NEEDS.some(function (need) { return !window[need[0]]; })) return loadThenAgain(base, document.currentScript);
  var kit = window.HelpCenterChatKit;
  var visit = window.HelpCenterVisit;
  var articles = window.HelpCenterArticles;
  var el = kit.el;
  var T = cfg.strings || {};
  var store = kit.storage("hc-chat:");  // shared with feedback.js: one reader token per browser
  // Refusals of an email address (docs/protocol.md, `email`): the string that explains each.
  var EMAIL_ERRORS = { bad_email: "email_invalid", rate_limited: "email_limited",
                       email_unavailable: "email_unavailable" };
  // Refusals of an upload (docs/protocol.md, HTTP endpoints).
  var UPLOAD_ERRORS = { too_large: "attach_too_big", daily_quota: "attach_quota",
                        storage_full: "attach_full", rate_limited: "attach_quota" };
  // An operator who answered this recently is still in the conversation: no "we are away".
  var LIVE_MS = 20 * 60 * 1000;
  function t(key) { return T["chat_" + key] || key; }
  // A string's {name} filled in; a function, so a "$&" in what a reader typed stays itself.
  function fill(key, name, value) { return t(key).replace("{" + name + "}", function () { return value; }); }
  // "This kind of file cannot be sent. Allowed: ..." with the kinds the server named.
  function refusedType(allowed) {
    return t("attach_type").replace("{kinds}", allowed.map(function (k) { return t("kind_" + k); }).join(", "));
  }
  function context() {
    var tz = "";
    try { tz = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch { /* old browser */ }
    // With the visit's: its entry page, referrer, and what was searched and suggested.
    return Object.assign({ page: location.href.split("#")[0], title: document.title, lang: cfg.lang,
                           article_id: cfg.article ? cfg.article.id : "", browser: navigator.userAgent.slice(0, 300),
                           timezone: tz, local_time: new Date().toString().slice(0, 60) }, visit.context());
  }
  // The brand's colours (config.yml brand, in the config by chat_scripts.html; a host page may
  // set its own): the launcher, the reader's bubbles and the buttons, with text that reads on them.
  function brandStyle(node) {
    var brand = cfg.brand || {};
    if (!/^#[0-9a-f]{6}$/i.test(brand.primary || "")) return;
    node.style.setProperty("--hc-chat-primary", brand.primary);
    node.style.setProperty("--hc-chat-on-primary", textOn(brand.primary));
    if (/^#[0-9a-f]{6}$/i.test(brand.accent || "")) node.style.setProperty("--hc-chat-accent", brand.accent);
  }
  // White or near-black text, whichever has more contrast (WCAG relative luminance).
  function textOn(hex) {
    function lum(h) {
      var c = [1, 3, 5].map(function (i) {
        var v = parseInt(h.slice(i, i + 2), 16) / 255;
        return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
      });
      return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    }
    var l = lum(hex), dark = lum("#111827");
    return (1.05) / (l + 0.05) >= (l + 0.05) / (dark + 0.05) ? "#ffffff" : "#111827";
  }

  // ---------------------------------------------------------------- the chat
  var chat = {
    ws: null, ready: false, panel: null, parts: {}, conversation: null, messages: {},
    outbox: store.get("outbox", []), availability: null, retry: kit.backoff(500, true),
    pendingArticle: null, link: null, identity: null, lookingUp: false, lookedUp: false,
    lastOperatorAt: 0, liveTimer: null,
    // The email box: the address this browser gave (kept), the one the current conversation
    // answers to, a confirmation on its way, the reader changing it, a refusal.
    email: { known: store.get("email", ""), conversation: "", pending: store.get("email_pending", ""),
             editing: false, error: "" },

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
        if (f.email && !chat.email.known) chat.email.known = f.email;
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
        chat.conversationEmail(f.conversation);
        chat.status();
      } else if (f.type === "message") {
        if (f.message.conversation_id !== chat.conversation && f.message.author_kind === "reader") {
          chat.conversation = f.message.conversation_id; // started in another tab
        }
        chat.show(f.message, f.conversation);
        if (f.message.author_kind === "operator") { chat.notify(); chat.status(); }
      } else if (f.type === "history") {
        f.messages.forEach(function (m) { chat.show(m, f.conversation); });
        chat.marks(f.conversation.operator_read_id);
        chat.conversationEmail(f.conversation);
        chat.status();
      } else if (f.type === "typing") {
        if (chat.parts.typing) chat.parts.typing.hidden = !f.typing;
      } else if (f.type === "read") {
        chat.marks(f.message_id);
      } else if (f.type === "conversation") {
        chat.conversationEmail(f.conversation);
      } else if (f.type === "email_pending") {
        // A confirmation mail is on its way; replies go there once the reader opens its link.
        if (f.conversation_id === chat.conversation) {
          chat.email.pending = f.email;
          chat.email.editing = false;
          store.set("email_pending", f.email);
          chat.renderEmail();
        }
      } else if (f.type === "availability") {
        chat.availability = f;
        chat.status();
      } else if (f.type === "error" && f.code === "not_found") {
        chat.conversation = null;
        store.set("conversation", null);
      } else if (f.type === "error" && EMAIL_ERRORS[f.code]) {
        chat.email.error = EMAIL_ERRORS[f.code];
        chat.renderEmail();
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
      if (!chat.conversation) visit.asked();
      chat.parts.suggest.hidden = true;
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
      brandStyle(launcher);
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
      results.hidden = true;
      search.appendChild(results);
      // Enter goes to the site's search page; typing shows the best few articles here.
      var searchTimer = null;
      q.addEventListener("input", function () {
        clearTimeout(searchTimer);
        searchTimer = setTimeout(function () {
          articles.results(q.value, results, { root: cfg.root, onAsk: chat.ask,
                                              words: { nothing: t("search_nothing"),
                                                       ask: function (q) { return fill("search_ask", "query", q); } } });
        }, 200);
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
      // Before a first question: the articles that match it (widget-articles.js).
      var suggestBox = el("section", "hc-chat-suggest");
      suggestBox.hidden = true;
      suggestBox.appendChild(el("p", "hc-chat-suggest-title", t("suggest_title")));
      var suggestList = el("ul", "hc-chat-results");
      suggestBox.appendChild(suggestList);
      panel.appendChild(suggestBox);
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
      var suggest = articles.suggester({ box: suggestBox, list: suggestList, root: cfg.root,
                                         open: function () { return !chat.conversation; } });
      input.addEventListener("input", function () { suggest(input.value); });
      panel.appendChild(form);
      var notice = el("p", "hc-chat-notice");
      notice.setAttribute("role", "alert");
      notice.hidden = true;
      panel.appendChild(notice);
      panel.addEventListener("keydown", function (e) { if (e.key === "Escape") chat.close(); });
      document.body.appendChild(panel);
      chat.panel = panel;
      brandStyle(panel);
      Object.assign(chat.parts, { status: status, log: log, typing: typing, input: input, prompt: prompt,
                                  topic: topic, notice: notice, suggest: suggestBox });
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
        chat.email.error = /^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$/.test(value) ? "" : EMAIL_ERRORS.bad_email;
        if (!chat.email.error && chat.conversation) {
          // Kept in this browser: after a reload the widget shows it instead of asking again.
          chat.email.known = value;
          store.set("email", value);
          chat.send({ type: "email", conversation_id: chat.conversation, email: value });
        }
        chat.renderEmail();
      });
      var pending = el("p", "hc-chat-email-pending");
      pending.hidden = true;
      var done = el("p", "hc-chat-email-done");
      done.hidden = true;
      var change = el("button", "hc-chat-email-change", t("email_change"));
      change.type = "button";
      change.addEventListener("click", function () {
        chat.email.editing = true;
        chat.renderEmail();
        input.focus();
        input.select();
      });
      box.appendChild(form);
      box.appendChild(pending);
      box.appendChild(done);
      box.appendChild(change);
      Object.assign(chat.parts, { emailBox: box, emailForm: form, emailError: error, emailInput: input,
                                  emailPending: pending, emailDone: done, emailChange: change });
      return box;
    },
    // The address the current conversation's replies go to (confirmed), from any frame
    // that names the conversation. An address confirmed once is used again without a mail.
    conversationEmail: function (conversation) {
      if (!conversation || conversation.id !== chat.conversation) return;
      var given = conversation.email || "";
      if (given && given !== chat.email.conversation) {
        chat.email.editing = false;
        store.set("email_confirmed", given);
        if (chat.email.pending === given) store.set("email_pending", "");
      }
      chat.email.conversation = given;
      var known = chat.email.known;
      if (!given && known && store.get("email_confirmed", "") === known && chat.asked !== chat.conversation) {
        chat.asked = chat.conversation;  // once per conversation
        chat.send({ type: "email", conversation_id: chat.conversation, email: known });
      }
      chat.renderEmail();
    },
    // The email box shows one of: the form (filled with the address given before, with a
    // refusal), "check your inbox" or "we will answer at …" (both with Change).
    renderEmail: function () {
      var p = chat.parts, e = chat.email;
      if (!p.emailForm) return;
      var view = e.editing || e.error ? "form" : e.conversation ? "done"
        : e.pending && e.pending === e.known ? "pending" : "form";
      p.emailForm.hidden = view !== "form";
      p.emailError.hidden = !e.error;
      if (e.error) p.emailError.textContent = t(e.error);
      p.emailPending.hidden = view !== "pending";
      p.emailPending.textContent = fill("email_pending", "email", e.pending || "");
      p.emailDone.hidden = view !== "done";
      p.emailDone.textContent = fill("email_known", "email", e.conversation || "");
      p.emailChange.hidden = view === "form";
      if (view === "form" && !p.emailInput.value && e.known) p.emailInput.value = e.known;
    },
    // "Ask us" after a search that found nothing: the words go to the message box.
    ask: function (query) {
      chat.parts.input.value = query;
      chat.parts.input.focus();
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
      if (m.author_kind === "operator" && m.created_at > chat.lastOperatorAt) chat.lastOperatorAt = m.created_at;
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
      chat.lastOperatorAt = 0;
      chat.email.conversation = "";
      if (chat.parts.log) chat.parts.log.textContent = "";
    },
    status: function () {
      if (!chat.parts.status) return;
      // The topic is asked once, before a conversation exists (config.yml chat.topics).
      if (chat.parts.topic) chat.parts.topic.hidden = !!chat.conversation;
      var a = chat.availability;
      var live = chat.liveConversation();
      var text;
      if (!chat.ready) text = t("connecting");
      else if (a && a.live) text = fill("online", "n", a.reply_minutes);
      else if (live) text = t("live_conversation");
      else if (a && a.next_open) text = chat.closedText(a);
      else text = t("nobody");
      chat.parts.status.textContent = text;
      var offline = chat.ready && a && !a.live && !live;
      chat.parts.emailBox.hidden = !(offline && chat.conversation);
      chat.renderEmail();
    },
    // Whether an operator answered here within LIVE_MS (by the server's clock, as the
    // message says); when that runs out, the status is drawn again.
    liveConversation: function () {
      var left = chat.lastOperatorAt ? chat.lastOperatorAt + LIVE_MS - Date.now() : 0;
      clearTimeout(chat.liveTimer);
      if (left > 0) chat.liveTimer = setTimeout(chat.status, left + 1000);
      return left > 0;
    },
    // «ответим в течение 15 минут после открытия, в четверг в 10:00» (reply-time.js), or
    // the plain opening time on a page that does not load it.
    closedText: function (a) {
      var words = window.HelpCenterReplyTime;
      if (words) {
        try { return words.phrase({ nextOpen: a.next_open, minutes: a.reply_minutes, lang: cfg.lang, t: t }); }
        catch { /* an Intl without time zones: the plain time below */ }
      }
      var when = new Date(a.next_open).toLocaleString(cfg.lang, { weekday: "long", hour: "2-digit", minute: "2-digit" });
      return fill("closed", "when", when);
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
    // A refused file is said beside the message box, not in the status line: the reader
    // still sees whether anyone is there.
    notice: function (text) {
      chat.parts.notice.textContent = text || "";
      chat.parts.notice.hidden = !text;
    },
    upload: function (file) {
      if (!chat.conversation) return chat.notice(t("attach_first"));
      if (file.size > 10 * 1024 * 1024) return chat.notice(t("attach_too_big"));
      var data = new FormData();
      data.append("token", store.get("token"));
      data.append("conversation_id", String(chat.conversation));
      data.append("client_id", kit.clientId());
      data.append("file", file, file.name);
      fetch(base + "/api/attachments", { method: "POST", body: data, mode: "cors" })
        .then(function (r) {
          return r.json().then(function (j) { if (!r.ok) { var e = new Error(j.error); e.allowed = j.allowed; throw e; } return j; });
        })
        .then(function (j) { chat.show(j.message, j.conversation); chat.notice(""); })  // an old refusal goes
        .catch(function (e) {
          chat.notice(e && e.message === "type_not_allowed" ? refusedType(e.allowed || [])
            : t(UPLOAD_ERRORS[e && e.message] || "attach_failed"));
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

  // A link to #chat (or marked data-hc-chat-open), like the home page's contact link, opens
  // the chat instead of going anywhere.
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("[data-hc-chat-open], a[href='#chat']");
    if (!link) return;
    e.preventDefault();
    window.HelpCenterChat.open();
  });
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
