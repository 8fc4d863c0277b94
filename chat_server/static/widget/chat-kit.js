/* What the reader's widget (widget.js, feedback.js) and the operator page (operator.js) both
 * need: making elements, a message's file, client ids, the reconnect back-off, the typing
 * throttle and storage. Plain functions and one global, window.HelpCenterChatKit: no build
 * step, no DOM framework, so a page written with any UI library can use it.
 *
 * Served with the widget from /widget/; loaded before the scripts that use it by
 * partials/chat_scripts.html (the site's pages) and operator/index.html.
 */
(function () {
  "use strict";
  if (window.HelpCenterChatKit) return;

  // Everything a person wrote goes on the page as text, never as HTML.
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  // A message's file: the image itself, anything else as its name; a link to the file in a
  // new tab. options: className, prefix (the sidecar's URL when the page is on another
  // origin, as the widget's is), lazy (load the image only when scrolled to).
  function attachmentNode(attachment, options) {
    var url = (options.prefix || "") + attachment.url;
    var link = el("a", options.className);
    link.href = url;
    link.target = "_blank";
    link.rel = "noopener";
    if (attachment.content_type.indexOf("image/") === 0) {
      var img = el("img");
      img.src = url;
      img.alt = attachment.name;
      if (options.lazy) img.loading = "lazy";
      link.appendChild(img);
      return link;
    }
    // Any other file downloads (the server says attachment too): an icon, its name, its size.
    link.removeAttribute("target");
    link.setAttribute("download", attachment.name);
    link.classList.add("hc-file");
    link.appendChild(el("span", "hc-file-icon", fileIcon(attachment.content_type)));
    link.appendChild(el("span", "hc-file-name", attachment.name));
    link.appendChild(el("span", "hc-file-size", fileSize(attachment.size)));
    return link;
  }

  var ICONS = [["pdf", "📕"], ["spreadsheet", "📊"], ["ms-excel", "📊"], ["csv", "📊"],
               ["presentation", "📽"], ["zip", "🗜"], ["7z", "🗜"], ["gzip", "🗜"], ["text/", "📝"]];
  function fileIcon(type) {
    for (var i = 0; i < ICONS.length; i++) if (type.indexOf(ICONS[i][0]) >= 0) return ICONS[i][1];
    return "📄";
  }
  function fileSize(bytes) {
    if (!(bytes >= 0)) return "";
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " KB";
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  // The id a message carries until the server acknowledges it: sending it twice (a retry,
  // a reconnect) cannot post it twice. Random, so two tabs never pick the same one.
  function clientId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // The wait before the next reconnect: doubling up to 64 × baseMs. With jitter, readers'
  // browsers spread out instead of all returning at once when a server restarts.
  function backoff(baseMs, jitter) {
    var attempt = 0;
    return {
      next: function () {
        attempt = Math.min(attempt + 1, 6);
        return baseMs * Math.pow(2, attempt) * (jitter ? 0.5 + Math.random() : 1);
      },
      reset: function () { attempt = 0; }
    };
  }

  // Call the result on every keystroke: it sends "typing" at most every 2 s, and "stopped"
  // 4 s after the last "typing", to the conversation it said "typing" in.
  // conversationId() names the conversation (none: no frame). Its stop() says "stopped" at
  // once, for leaving a conversation or sending: nobody sees "typing…" from someone gone.
  function typingThrottle(conversationId, send) {
    var last = 0, timer = null, announced = null;
    function stop() {
      clearTimeout(timer);
      if (announced) send({ type: "typing", conversation_id: announced, typing: false });
      announced = null;
      last = 0;
    }
    function typed() {
      var id = conversationId(), now = Date.now();
      if (announced && id !== announced) stop();
      if (!id || now - last < 2000) return;
      last = now;
      announced = id;
      send({ type: "typing", conversation_id: id, typing: true });
      clearTimeout(timer);
      timer = setTimeout(stop, 4000);
    }
    typed.stop = stop;
    return typed;
  }

  // Links in what people wrote: linkify.js (vendor/linkify.min.js, loaded before this file)
  // finds them; only http, https and mailto become links, and everything else stays text.
  // Without linkify.js (a page built before it was added) the text is just text.
  var LINK_SCHEMES = /^(https?:|mailto:)/i;
  function linkParts(text) {
    text = String(text);
    var found = window.linkify ? window.linkify.find(text) : [];
    var parts = [], at = 0;
    found.forEach(function (link) {
      if (!LINK_SCHEMES.test(link.href) || link.start < at) return;
      if (link.start > at) parts.push(text.slice(at, link.start));
      parts.push({ text: link.value, href: link.href });
      at = link.end;
    });
    if (at < text.length) parts.push(text.slice(at));
    return parts;
  }

  // The same as DOM nodes, for pages without a UI library (the widget).
  function linkedText(text) {
    var fragment = document.createDocumentFragment();
    linkParts(text).forEach(function (part) {
      if (typeof part === "string") { fragment.appendChild(document.createTextNode(part)); return; }
      var link = el("a", "", part.text);
      link.href = part.href;
      link.target = "_blank";
      link.rel = "noopener noreferrer nofollow";
      fragment.appendChild(link);
    });
    return fragment;
  }

  // localStorage under a prefix, as JSON unless told otherwise (TEXT: the string itself).
  // Private modes and full quotas throw; then nothing is remembered and nothing breaks.
  var JSON_VALUES = { parse: JSON.parse, stringify: JSON.stringify };
  var TEXT = { parse: String, stringify: String };
  function storage(prefix, codec) {
    var values = codec || JSON_VALUES;
    return {
      get: function (key, fallback) {
        try {
          var stored = localStorage.getItem(prefix + key);
          return stored === null ? fallback : values.parse(stored);
        } catch { return fallback; }
      },
      set: function (key, value) {
        try { localStorage.setItem(prefix + key, values.stringify(value)); } catch { /* not remembered */ }
      }
    };
  }

  window.HelpCenterChatKit = {
    el: el, attachmentNode: attachmentNode, linkParts: linkParts, linkedText: linkedText,
    clientId: clientId, backoff: backoff,
    typingThrottle: typingThrottle, storage: storage, TEXT: TEXT
  };
})();
