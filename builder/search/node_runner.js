#!/usr/bin/env node
/*
 * Runs the browser's search module (themes/default/assets/search/search-core.js) in node with
 * the vendored lunr.js + lunr-languages, for `build.py search`, the tests and the benchmarks.
 *
 * Protocol: one JSON command per stdin line, one JSON answer per stdout line:
 *   {"cmd":"load","dir":"<site>/_search/ru","body":true}       → {"ok":true,"docs":N,"ms":…}
 *   {"cmd":"search","q":"…","typing":false,"limit":10,"snippets":true} → engine.search result
 *   {"cmd":"plan","q":"…","typing":true}                         → {"parts":…,"clauses":…}
 *   {"cmd":"raw","clauses":[…]}        → per index, lunr's own results [[ref, score, terms]]
 *   {"cmd":"lunr","q":"…"}             → per index, lunr's index.search(q) results
 *   {"cmd":"terms","words":["…"]}      → the index term of each word (null: stop word)
 */
"use strict";

const fs = require("fs");
const path = require("path");
const readline = require("readline");

const ASSETS = path.join(__dirname, "..", "..", "themes", "default", "assets");

function loadLunr() {
  const lunr = require(path.join(ASSETS, "vendor", "lunr", "lunr.min.js"));
  require(path.join(ASSETS, "vendor", "lunr-languages", "lunr.stemmer.support.min.js"))(lunr);
  require(path.join(ASSETS, "vendor", "lunr-languages", "lunr.ru.min.js"))(lunr);
  return lunr;
}

const lunr = loadLunr();
const core = require(path.join(ASSETS, "search", "search-core.js"));
let engine = null;
let dir = null;
const shards = new Map();

function text(ref) {
  const n = engine.shardOf(ref);
  if (!shards.has(n)) {
    shards.set(n, JSON.parse(fs.readFileSync(path.join(dir, "text", n + ".json"), "utf8")));
  }
  return shards.get(n)[ref % engine.textShard];
}

function raw(index, clauses) {
  return core.runClauses(lunr, index, clauses).map((r) => [r.ref, r.score, r.terms.sort()]);
}

const commands = {
  load(cmd) {
    const started = process.hrtime.bigint();
    dir = cmd.dir;
    shards.clear();
    engine = core.createEngine(lunr, JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8")));
    if (cmd.body !== false) {
      engine.addBody(JSON.parse(fs.readFileSync(path.join(dir, "body.json"), "utf8")));
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { ok: true, docs: engine.docs.length, ms };
  },
  search(cmd) {
    const started = process.hrtime.bigint();
    const cpu = process.cpuUsage();
    const found = engine.search(cmd.q, { typing: !!cmd.typing, limit: cmd.limit || 10 });
    found.ms = Number(process.hrtime.bigint() - started) / 1e6;
    // CPU time as well: on a shared machine wall time mostly measures the neighbours.
    const used = process.cpuUsage(cpu);
    found.cpuMs = (used.user + used.system) / 1000;
    if (cmd.snippets) {
      found.results.forEach((r) => {
        r.snippet = engine.snippet(text(r.ref), found.words);
      });
    }
    return found;
  },
  plan(cmd) {
    return engine.plan(cmd.q, { typing: !!cmd.typing });
  },
  raw(cmd) {
    return engine.indexes.map((index, n) => raw(index, core.clausesFor(cmd.clauses, n)));
  },
  lunr(cmd) {
    return engine.indexes.map((index) =>
      index.search(cmd.q).map((r) => [r.ref, r.score, Object.keys(r.matchData.metadata).sort()]),
    );
  },
  terms(cmd) {
    const words = engine ? engine.words : core.Words(lunr, cmd.stopWords || []);
    return cmd.words.map((w) => {
      const found = core.tokenize(w);
      return found.length === 1 ? words.term(found[0]) : found.map((t) => words.term(t));
    });
  },
  tokenize(cmd) {
    return cmd.texts.map((t) => core.tokenize(t));
  },
};

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  if (!line.trim()) return;
  let answer;
  try {
    const cmd = JSON.parse(line);
    answer = commands[cmd.cmd](cmd);
  } catch (err) {
    answer = { error: String((err && err.stack) || err) };
  }
  process.stdout.write(JSON.stringify(answer) + "\n");
});
