/* The emoji picker on the operator page: a thin Preact front-end over the widget's emoji.js
 * (served from our origin, so the page's script-src 'self' allows it), which loads
 * emojibase-data on first open and draws the search and the grid. One picker for both sides. */
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.mjs";
import { say } from "../strings.mjs";

let loading = null;
function loadPicker() {
  if (window.HCEmoji) return Promise.resolve(window.HCEmoji);
  if (!loading) {
    loading = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = "/widget/emoji.js";
      script.onload = () => resolve(window.HCEmoji);
      script.onerror = () => { loading = null; reject(new Error("emoji.js")); };
      document.head.appendChild(script);
    });
  }
  return loading;
}

export function EmojiButton({ onPick, lang }) {
  const [open, setOpen] = useState(false);
  const holder = useRef(null);
  const button = useRef(null);
  useEffect(() => {
    if (!open) return undefined;
    let gone = false;
    loadPicker().then((emoji) => {
      if (gone || !holder.current) return;
      holder.current.appendChild(emoji.picker({
        base: "", lang: lang,
        strings: { title: say(lang, "emoji"), search: say(lang, "emoji_search"), nothing: say(lang, "emoji_nothing"),
          failed: say(lang, "emoji_failed"), loading: say(lang, "emoji_loading") },
        onPick: (text) => { setOpen(false); onPick(text); },
        onClose: () => { setOpen(false); if (button.current) button.current.focus(); },
      }));
    });
    return () => { gone = true; if (holder.current) holder.current.textContent = ""; };
  }, [open, lang]);
  return html`<span class="emoji-picker">
    <button type="button" ref=${button} class="emoji-button" title=${say(lang, "emoji")} aria-label=${say(lang, "emoji")}
      aria-expanded=${open ? "true" : "false"} onClick=${() => setOpen(!open)}>😀</button>
    ${open && html`<div class="emoji-popover" ref=${holder}></div>`}
  </span>`;
}

/* `text` with `emoji` where the caret of the textarea `id` is (over a selection); the caret
 * is put back after it once the page has drawn the new draft. */
export function atCaret(id, text, emoji) {
  const box = document.getElementById(id);
  const start = box ? box.selectionStart : text.length;
  const end = box ? box.selectionEnd : text.length;
  const next = text.slice(0, start) + emoji + text.slice(end);
  if (box) {
    requestAnimationFrame(() => { box.focus(); box.setSelectionRange(start + emoji.length, start + emoji.length); });
  }
  return next.length > 4000 ? text : next;
}
