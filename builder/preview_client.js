/* The preview's script (build.py serve injects it into pages as they are served, never into
 * the files): reload after a good rebuild; after a failed one keep the page and lay the
 * problems over it, each as path:line: message, until the next good rebuild reloads it.
 * Everything shown is set as text, never as HTML: messages quote the writer's markdown. */
/* global document, location, EventSource */
"use strict";
(function () {
  var OVERLAY_ID = "helpcenter-preview-problems";

  function styled(tag, style, text) {
    var node = document.createElement(tag);
    // Properties, not a style attribute: the pages' policy may refuse inline style attributes.
    Object.assign(node.style, style);
    if (text) node.textContent = text;
    return node;
  }

  function hide() {
    var old = document.getElementById(OVERLAY_ID);
    if (old) old.remove();
  }

  function show(problems) {
    hide();
    if (!problems.length) return;
    var box = styled("div", {
      position: "fixed", inset: "auto 0 0 0", zIndex: "2147483647", maxHeight: "60vh",
      overflow: "auto", padding: "16px 20px", background: "#2b0a0a", color: "#ffe9e9",
      font: "14px/1.5 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
      borderTop: "4px solid #ff5c5c", boxShadow: "0 -6px 24px rgba(0,0,0,.35)"
    });
    box.id = OVERLAY_ID;
    box.setAttribute("role", "alert");
    var count = problems.length === 1 ? "1 error" : problems.length + " errors";
    box.appendChild(styled("strong", { display: "block", marginBottom: "8px", fontSize: "15px" },
      "Rebuild failed: " + count + ". This page is the last good build; fix and save."));
    var list = styled("ul", { margin: "0", padding: "0", listStyle: "none" });
    problems.forEach(function (problem) {
      var item = styled("li", { margin: "4px 0", whiteSpace: "pre-wrap", wordBreak: "break-word" });
      var where = problem.line ? problem.path + ":" + problem.line : problem.path;
      item.appendChild(styled("span", { color: "#ffb3b3", fontWeight: "bold" }, where));
      item.appendChild(document.createTextNode(": " + problem.message));
      list.appendChild(item);
    });
    box.appendChild(list);
    var close = styled("button", {
      position: "absolute", top: "8px", right: "12px", background: "transparent",
      color: "inherit", border: "1px solid currentColor", borderRadius: "4px", cursor: "pointer"
    }, "Hide");
    close.type = "button";
    close.addEventListener("click", hide);
    box.appendChild(close);
    document.body.appendChild(box);
  }

  // A page opened (or reloaded) while the build is broken shows the problems at once.
  fetch("/__status", { cache: "no-store" })
    .then(function (response) { return response.json(); })
    .then(function (status) { show(status.problems); })
    .catch(function () { /* the preview server stopped: nothing to show */ });

  var stream = new EventSource("/__reload");
  stream.onmessage = function () { location.reload(); };
  stream.addEventListener("problems", function (event) {
    show(JSON.parse(event.data).problems);
  });
})();
