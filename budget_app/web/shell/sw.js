/* Family Budget service worker: the app shell that works without a connection.
 * Pages load from the network as usual; when a page cannot be loaded (no signal, or the server
 * cannot be reached) the cached offline page answers instead, with the quick-entry form and the
 * entries waiting on the device. Background Sync (where the browser has it) sends the waiting
 * entries when the connection returns, even with the app closed. */
self.FB_BASE = "__BASE__";
importScripts("__BASE__/shell/outbox.js?v=__VERSION__");

var CACHE = "fb-shell-__VERSION__";
var OFFLINE = "__BASE__/shell/offline.html";
var SHELL = [OFFLINE, "__BASE__/shell/outbox.js?v=__VERSION__", "__BASE__/shell/app.js?v=__VERSION__",
  "__BASE__/manifest.webmanifest", "__BASE__/icons/icon-192.png"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (c) { return c.addAll(SHELL); }).then(function () {
    return self.skipWaiting();
  }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("fb-shell-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate") {
    event.respondWith(fetch(req).catch(function () {
      return caches.match(OFFLINE);
    }));
    return;
  }
  if (url.pathname.indexOf("__BASE__/shell/") === 0 || url.pathname.indexOf("__BASE__/icons/") === 0 ||
      url.pathname === "__BASE__/manifest.webmanifest") {
    event.respondWith(fetch(req).then(function (r) {
      if (r.ok) { var copy = r.clone(); caches.open(CACHE).then(function (c) { c.put(req, copy); }); }
      return r;
    }).catch(function () { return caches.match(req, { ignoreSearch: false }); }));
  }
});

function tell(message) {
  return self.clients.matchAll({ includeUncontrolled: true }).then(function (list) {
    list.forEach(function (c) { c.postMessage(message); });
  });
}

self.addEventListener("sync", function (event) {
  if (event.tag !== "fb-outbox") return;
  event.waitUntil(self.FBOutbox.deliver().then(function (result) {
    return tell({ type: "fb-delivered", result: result });
  }));
});

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "fb-deliver") {
    event.waitUntil(self.FBOutbox.deliver().then(function (result) {
      return tell({ type: "fb-delivered", result: result });
    }));
  }
});
