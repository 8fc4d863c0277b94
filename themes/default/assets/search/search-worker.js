/*
 * The search Web Worker. Its URL's hash (set by search-ui.js) carries the hashed URLs of
 * lunr, lunr-languages and the search modules (search-words, -plan, -engine, -backend). They
 * are all fetched at once when the worker starts and then run in order from blob: URLs (plain
 * importScripts fetches them one after another, which was a third of a cold first result).
 * Then HelpCenterSearchCore.Backend answers the page's messages; messages that arrive earlier
 * wait in a queue. The page hands over the title index's bytes with "init"; parsing and index
 * loading never run on the page's main thread.
 */
/* global importScripts, HelpCenterSearchCore, lunr */
"use strict";
(function () {
  var setup = JSON.parse(decodeURIComponent(self.location.hash.slice(1)));
  var queue = [];
  self.onmessage = function (event) {
    queue.push(event.data);
  };

  function fetchOk(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error(url + ": HTTP " + response.status);
      return response;
    });
  }

  function fetchJson(url) {
    return fetchOk(url).then(function (response) {
      return response.json();
    });
  }


  function loadScripts() {
    return Promise.all(
      setup.scripts.map(function (url) {
        return fetchOk(url).then(function (response) {
          return response.blob();
        });
      })
    ).then(
      function (blobs) {
        var urls = blobs.map(function (blob) {
          return URL.createObjectURL(blob);
        });
        importScripts.apply(null, urls);
        urls.forEach(URL.revokeObjectURL);
      },
      function () {
        importScripts.apply(null, setup.scripts); // the plain way, which names what failed
      }
    );
  }

  function start() {
    // for bench/search_speed.py: when the scripts were ready (ms since the epoch)
    self.postMessage({ type: "scripts", at: performance.timeOrigin + performance.now() });
    var backend = new HelpCenterSearchCore.Backend(
      lunr,
      fetchJson,
      function (msg) {
        self.postMessage(msg);
      }
    );
    self.onmessage = function (event) {
      backend.handle(event.data);
    };
    queue.forEach(function (msg) {
      backend.handle(msg);
    });
  }

  loadScripts().then(start);
})();
