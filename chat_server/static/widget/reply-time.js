/* When a reader can expect an answer while nobody is at work: «ответим в течение 15 минут
 * после открытия, в четверг в 10:00», "… after we open, tomorrow at 10:00". Plain JS, no DOM.
 *
 * The opening moment comes from the sidecar (availability.next_open, in the team's time zone);
 * the words are in the reader's: their browser's Intl time zone, so a reader in Yekaterinburg
 * reads 12:00 where Moscow opens at 10:00, and "today"/"tomorrow" are their calendar days.
 * The words themselves are the theme's chat strings (chat.yml), since Russian needs its own
 * prepositions and cases per weekday («во вторник», «в среду») that Intl does not give.
 *
 * Loaded by partials/chat_scripts.html before widget.js (window.HelpCenterReplyTime), and by
 * node for its unit test (module.exports).
 */
(function (root) {
  "use strict";
  var DAY_MS = 86400000;
  var WEEKDAYS = { Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6, Sun: 7 };

  // The calendar day and weekday of `date` in `timeZone`, whatever the machine's own zone.
  function localDay(date, timeZone) {
    var parts = {};
    new Intl.DateTimeFormat("en-US", { timeZone: timeZone, year: "numeric", month: "2-digit",
                                       day: "2-digit", weekday: "short" })
      .formatToParts(date).forEach(function (p) { parts[p.type] = p.value; });
    return { serial: Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day)) / DAY_MS,
             weekday: WEEKDAYS[parts.weekday] };
  }

  function fill(text, values) {
    return String(text).replace(/\{(\w+)\}/g, function (whole, key) {
      return key in values ? values[key] : whole;
    });
  }

  // «15 минут», «21 минуты», "1 minute": the plural form the language's rules pick.
  function minutes(n, lang, t) {
    var form = new Intl.PluralRules(lang).select(n);
    var text = t("minutes_" + form);
    if (text === "minutes_" + form) text = t("minutes_other");
    return fill(text, { n: n });
  }

  // "today at 10:00", «в среду в 10:00», «3 января в 10:00» (a week or more away).
  function when(opening, now, lang, timeZone, t) {
    var time = new Intl.DateTimeFormat(lang, { timeZone: timeZone, hour: "2-digit",
                                               minute: "2-digit", hourCycle: "h23" }).format(opening);
    var day = localDay(opening, timeZone);
    var away = day.serial - localDay(now, timeZone).serial;
    if (away <= 0) return fill(t("when_today"), { time: time });
    if (away === 1) return fill(t("when_tomorrow"), { time: time });
    if (away < 7) return fill(t("when_day_" + day.weekday), { time: time });
    var date = new Intl.DateTimeFormat(lang, { timeZone: timeZone, day: "numeric", month: "long" })
      .format(opening);
    return fill(t("when_date"), { date: date, time: time });
  }

  /* options: nextOpen (ISO string or Date), now (Date), minutes (the team's usual reply
   * time), lang, timeZone (the reader's; the browser's when not given), t (key → string,
   * without the chat_ prefix). Returns the whole sentence (chat_reply_after_open). */
  function phrase(options) {
    var opening = new Date(options.nextOpen);
    var now = options.now || new Date();
    var zone = options.timeZone || Intl.DateTimeFormat().resolvedOptions().timeZone;
    var t = options.t;
    return fill(t("reply_after_open"), {
      minutes: minutes(Number(options.minutes) || 0, options.lang, t),
      when: when(opening, now, options.lang, zone, t)
    });
  }

  var api = { phrase: phrase };
  if (typeof module === "object" && module.exports) module.exports = api;
  else root.HelpCenterReplyTime = api;
})(this);
