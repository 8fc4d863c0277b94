#!/usr/bin/env node
/*
 * MkDocs-Material's own search worker (material/templates/assets/javascripts/workers/search.*.js)
 * run unchanged in node: it gets the site's search_index.json in a SETUP message, builds its
 * Lunr index exactly as it does in a browser, then answers QUERY messages.
 *
 * Usage: node mkdocs_material_search.js <material assets dir> <search_index.json>
 * then one query per stdin line → one JSON line: {"pages": [location…], "ms": …}.
 */
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");

const [assets, indexFile] = process.argv.slice(2).map((p) => path.resolve(p));
const workerDir = path.join(assets, "javascripts", "workers");
const workerFile = fs.readdirSync(workerDir).find((f) => /^search\..*\.min\.js$/.test(f));

let handler = null;
let answer = null;
globalThis.self = globalThis;
globalThis.addEventListener = (type, fn) => {
  if (type === "message") handler = fn;
};
globalThis.postMessage = (msg) => answer && answer(msg);
globalThis.importScripts = (...urls) => {
  for (const url of urls) {
    const file = path.join(assets, "javascripts", "lunr", url.replace(/^.*\/lunr\//, ""));
    const plugin = require(file);
    if (typeof plugin === "function") plugin(globalThis.lunr);
  }
};
require(path.join(workerDir, workerFile));

function send(message) {
  return new Promise((resolve) => {
    answer = resolve;
    handler({ data: message });
  });
}

(async () => {
  const index = JSON.parse(fs.readFileSync(indexFile, "utf8"));
  const started = Date.now();
  await send({ type: 0, data: { config: index.config, docs: index.docs, options: { suggest: false } } });
  process.stderr.write(`mkdocs-material index built in ${Date.now() - started} ms\n`);
  const rl = readline.createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    const t = process.hrtime.bigint();
    const result = await send({ type: 2, data: line });
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const pages = result.data.items.map((group) => group[0].location.split("#")[0]);
    process.stdout.write(JSON.stringify({ pages, ms }) + "\n");
  }
})();
