// The JS linter (`make lint-js`): eslint's recommended rules over our own browser and node
// scripts. Vendored libraries are someone else's code and are not linted.
"use strict";

const js = require("@eslint/js");
const globals = require("globals");

module.exports = [
  // templates/partials/*.js are Jinja templates of the two inline scripts (hashed for the CSP).
  { ignores: ["themes/default/assets/vendor/**", "chat_server/static/operator/vendor/**", "chat_server/static/widget/vendor/**", "themes/*/templates/**", "node_modules/**",
              "site/**", ".preview/**", "bench/out/**", "tests/artifacts/**", ".venv/**"] },
  js.configs.recommended,
  {
    // Classic scripts: the pages, the search worker, the widget and the operator page. The
    // search modules also run in node (require and module.exports when they exist); a
    // script's other globals are named in its own /* global */ line.
    files: ["themes/**/*.js", "chat_server/static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser, require: "readonly", module: "writable" },
    },
  },
  {
    // The operator page's ES modules (the browser imports them; node imports store.mjs in
    // the tests).
    files: ["chat_server/static/**/*.mjs", "tests/**/*.mjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.browser } },
  },
  {
    files: ["builder/**/*.js", "bench/**/*.js", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "commonjs", globals: { ...globals.node } },
  },
];
