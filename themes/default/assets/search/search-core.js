/*
 * The help centre's search without the DOM, for node (builder/search/node_runner.js, the tests and
 * benchmarks): the four modules the browser's search worker loads, as one object. In the
 * browser they fill the global HelpCenterSearchCore in that order instead.
 *
 *   search-words.js    word rules (the same as builder/search/words.py), layouts, edit distance
 *   search-plan.js     query text → lunr clauses; which query words an index term answers
 *   search-engine.js   ranking, grouping, keyboard-layout retry, snippets
 *   search-backend.js  the message protocol of the search worker
 */
"use strict";

module.exports = Object.assign(
  {},
  require("./search-words.js"),
  require("./search-plan.js"),
  require("./search-engine.js"),
  require("./search-backend.js")
);
