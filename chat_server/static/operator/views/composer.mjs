/* The reply box: reply or internal note, a file, an emoji, the draft kept per conversation;
 * `#` or `/` and a few letters suggest saved replies (↑/↓ choose, Tab or Enter expands, Esc
 * closes), and "Article" finds a help-center article to send as "Title — URL". */
import { useEffect, useRef, useState } from "preact/hooks";
import { html } from "../html.mjs";
import { expand, fill, findReplies, keywordAt } from "../replies.mjs";
import { say } from "../strings.mjs";
import { EmojiButton, atCaret } from "./emoji.mjs";

const BOX = "composer-text";

/* The conversation's language: the saved replies and articles offered are in it. */
export function conversationLang(state) {
  const c = state.detail && state.detail.conversation;
  return (c && c.context && c.context.lang) || "";
}

export function Composer({ state, act }) {
  const lang = state.lang;
  const note = state.mode === "note";
  const text = state.drafts[state.current] || "";
  const [caret, setCaret] = useState(null);
  const [chosen, setChosen] = useState(0);
  const [closedAt, setClosedAt] = useState(-1);  // Esc: no suggestions for this keyword
  const [articles, setArticles] = useState(false);
  const keyword = caret === null ? null : keywordAt(text, caret);
  const open = keyword && keyword.start !== closedAt;
  const found = open ? findReplies(state.replies[conversationLang(state)] || [], keyword.word) : [];
  const at = Math.min(chosen, Math.max(found.length - 1, 0));

  function follow(e) { setCaret(e.currentTarget.selectionStart); }
  function typed(e) {
    setCaret(e.currentTarget.selectionStart);
    setChosen(0);
    act.draft(e.currentTarget.value);
  }
  function use(reply) {
    const body = fill(reply.body, readerName(state), state.me.name);
    const next = expand(text, keyword, caret, body);
    const end = keyword.start + body.length;
    act.draft(next.slice(0, 4000));
    setCaret(end);
    putCaret(end);
  }
  function keydown(e) {
    if (found.length) {
      if (e.key === "ArrowDown" || e.key === "ArrowUp") {
        e.preventDefault();
        setChosen((at + (e.key === "ArrowDown" ? 1 : found.length - 1)) % found.length);
        return;
      }
      if ((e.key === "Tab" || e.key === "Enter") && !e.ctrlKey && !e.metaKey && !e.shiftKey) {
        e.preventDefault();
        use(found[at]);
        return;
      }
      if (e.key === "Escape") { e.preventDefault(); setClosedAt(keyword.start); return; }
    }
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); act.send(); }
    if (e.key === "Escape") e.currentTarget.blur();
  }
  function insertText(piece) {
    const next = atCaret(BOX, text, piece);
    act.draft(next);
    setArticles(false);
  }
  return html`<form id="composer" class=${"composer" + (note ? " composing-note" : "")}
      onSubmit=${(e) => { e.preventDefault(); act.send(); }}>
    <div class="modes" role="radiogroup">
      <label><input type="radio" name="mode" value="reply" checked=${!note} onChange=${() => act.mode("reply")} /> ${say(lang, "mode_reply")}</label>
      <label><input type="radio" name="mode" value="note" checked=${note} onChange=${() => act.mode("note")} /> ${say(lang, "mode_note")}</label>
    </div>
    ${found.length > 0 && html`<${Suggestions} found=${found} at=${at} lang=${lang}
      names=${[readerName(state), state.me.name]}
      onPick=${use} onHover=${setChosen} />`}
    ${articles && html`<${ArticlePanel} state=${state} act=${act} onInsert=${insertText} onClose=${() => setArticles(false)} />`}
    <textarea id=${BOX} rows="3" maxlength="4000" value=${text}
      placeholder=${say(lang, note ? "note_placeholder" : "draft_placeholder")} title=${say(lang, "reply_hint")}
      role="combobox" aria-autocomplete="list" aria-expanded=${found.length > 0 ? "true" : "false"}
      aria-controls="reply-suggestions" aria-activedescendant=${found.length ? "suggestion-" + at : undefined}
      onInput=${typed} onKeyDown=${keydown} onKeyUp=${follow} onClick=${follow}
      onBlur=${() => setTimeout(() => setCaret(null), 150)}></textarea>
    <div class="composer-actions">
      <button type="button" id="insert-article" aria-expanded=${articles ? "true" : "false"}
        onClick=${() => setArticles(!articles)}>📄 ${say(lang, "insert_article")}</button>
      <label class="attach">
        <input id="attach-file" class="visually-hidden" type="file" accept=${state.accept}
          onChange=${(e) => { act.upload(e.currentTarget.files[0]); e.currentTarget.value = ""; }} />
        <span class="attach-button" aria-hidden="true">📎</span> ${say(lang, "attach")}
      </label>
      <${EmojiButton} lang=${lang} onPick=${(emoji) => act.draft(atCaret(BOX, text, emoji))} />
      <button type="submit" id="send" disabled=${!text.trim()}>${say(lang, "send")}</button>
    </div>
  </form>`;
}

function readerName(state) {
  const reader = state.detail && state.detail.reader;
  const profile = state.profile && state.profile.data && state.profile.data.reader;
  return (reader && reader.name) || (profile && profile.name) || "";
}

// After the page has drawn the expanded draft: the caret goes after the reply.
function putCaret(position) {
  requestAnimationFrame(() => {
    const box = document.getElementById(BOX);
    if (box) { box.focus(); box.setSelectionRange(position, position); }
  });
}

function Suggestions({ found, at, lang, names, onPick, onHover }) {
  return html`<ul id="reply-suggestions" class="suggestions" role="listbox" aria-label=${say(lang, "suggestions")}>
    ${found.map((r, i) => html`<li key=${r.id} id=${"suggestion-" + i} role="option" aria-selected=${i === at ? "true" : "false"}
        class=${"suggestion" + (i === at ? " chosen" : "")} data-shortcut=${r.shortcut}
        onMouseDown=${(e) => { e.preventDefault(); onPick(r); }} onMouseEnter=${() => onHover(i)}>
      <span class="suggestion-head"><kbd>#${r.shortcut}</kbd> <strong>${r.title}</strong>
        <span class="muted">${say(lang, r.scope === "personal" ? "personal_reply" : "team_reply")}</span></span>
      <span class="suggestion-body">${fill(r.body.slice(0, 200), names[0], names[1]).slice(0, 140)}</span>
    </li>`)}
  </ul>`;
}

/* Articles for the reply: the search starts from the reader's last message; a pick puts
 * "Title — URL" where the caret was. */
function ArticlePanel({ state, act, onInsert, onClose }) {
  const lang = state.lang;
  const [query, setQuery] = useState(() => lastReaderWords(state));
  const field = useRef(null);
  useEffect(() => {
    const timer = setTimeout(() => act.findArticles(query, conversationLang(state)), 200);
    return () => clearTimeout(timer);
  }, [query]);
  useEffect(() => { if (field.current) field.current.select(); }, []);
  const items = state.articles.query === query.trim() ? state.articles.items : null;
  return html`<div id="article-panel" class="article-panel" role="dialog" aria-label=${say(lang, "article_search")}>
    <input type="search" id="article-query" ref=${field} value=${query} placeholder=${say(lang, "article_search")}
      aria-label=${say(lang, "article_search")} onInput=${(e) => setQuery(e.currentTarget.value)}
      onKeyDown=${(e) => { if (e.key === "Escape") { e.preventDefault(); onClose(); } }} />
    ${items && items.length === 0 && html`<p class="muted">${say(lang, "no_articles")}</p>`}
    <ul id="article-results">
      ${(items || []).map((a) => html`<li key=${a.url}>
        <span><strong>${a.title}</strong>${a.heading ? html` <span class="muted">· ${a.heading}</span>` : ""}
          <br /><span class="muted">${a.collection || ""}</span></span>
        <button type="button" class="insert" onClick=${() => onInsert(a.title + " — " + a.url)}>${say(lang, "insert")}</button>
      </li>`)}
    </ul>
  </div>`;
}

function lastReaderWords(state) {
  const messages = (state.detail && state.detail.messages) || [];
  for (let i = messages.length - 1; i >= 0; i -= 1) {
    const m = messages[i];
    if (m.author_kind === "reader" && !m.attachment && m.body) return m.body.slice(0, 120);
  }
  return "";
}
