/* Family Budget: the device's outbox of entries typed without a connection (IndexedDB).
 * Loaded by the pages (app.js, offline.html) and by the service worker (importScripts).
 * Each entry gets its client_id on the device when it is saved; it leaves the device only
 * after the server acknowledged it (201 stored, 200 already stored). A refusal (4xx) keeps it
 * as "failed" with the server's reason; no connection, a server error, 401 or 429 keep it waiting. */
(function (root) {
  "use strict";
  var BASE = root.FB_BASE || "";
  var DB = "family-budget", VERSION = 1;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("entries")) db.createObjectStore("entries", { keyPath: "client_id" });
        if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(store, mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode), out;
        var s = t.objectStore(store);
        Promise.resolve(work(s)).then(function (v) { out = v; });
        t.oncomplete = function () { db.close(); resolve(out); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }

  function req(r) { return new Promise(function (res, rej) { r.onsuccess = function () { res(r.result); }; r.onerror = function () { rej(r.error); }; }); }

  function uuid() {
    if (root.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  var api = {
    uuid: uuid,
    all: function () {
      return tx("entries", "readonly", function (s) { return req(s.getAll()); }).then(function (rows) {
        return (rows || []).sort(function (a, b) { return a.saved_at < b.saved_at ? -1 : 1; });
      });
    },
    put: function (entry) { return tx("entries", "readwrite", function (s) { return req(s.put(entry)); }); },
    remove: function (id) { return tx("entries", "readwrite", function (s) { return req(s.delete(id)); }); },
    /* A new entry: its client_id is made here, before anything is sent. */
    save: function (fields) {
      var entry = Object.assign({}, fields, { client_id: fields.client_id || uuid(), state: "waiting", reason: null,
        saved_at: fields.saved_at || new Date().toISOString() });
      return api.put(entry).then(function () { return entry; });
    },
    getMeta: function (key) { return tx("meta", "readonly", function (s) { return req(s.get(key)); }); },
    setMeta: function (key, value) { return tx("meta", "readwrite", function (s) { return req(s.put(value, key)); }); },

    /* What the app knows while online, kept for the offline form: who, which families, their categories.
     * Resolves to what it learnt, null (signed out or refused) or "unreachable" (no connection). */
    refresh: function () {
      return fetch(BASE + "/api/v1/me", { credentials: "same-origin", cache: "no-store" }).then(function (r) {
        if (r.status === 401) return api.setMeta("me", null).then(function () { return null; });
        if (!r.ok) return null;
        return r.json().then(function (me) {
          return Promise.all(me.families.map(function (f) {
            return fetch(BASE + "/api/v1/families/" + f.id + "/categories", { credentials: "same-origin", cache: "no-store" })
              .then(function (c) { return c.ok ? c.json() : null; })
              .then(function (c) { if (c) f.categories = c.categories; });
          })).then(function () { return api.setMeta("me", me); }).then(function () { return me; });
        });
      }).catch(function () { return "unreachable"; });
    },

    /* Send every waiting entry of the signed-in person, oldest first. Resolves to
     * {sent, failed, waiting, stopped} (stopped: why sending paused, or null). */
    deliver: function () {
      var result = { sent: 0, failed: 0, waiting: 0, stopped: null };
      var run = function () {
        return api.getMeta("me").then(function (me) {
          return api.all().then(function (entries) {
            var queue = entries.filter(function (e) { return e.state === "waiting"; });
            var step = function (i) {
              if (i >= queue.length) return result;
              var e = queue[i];
              if (me && e.typed_by && e.typed_by !== me.user.id) { result.waiting++; return step(i + 1); }
              return fetch(BASE + "/api/v1/families/" + e.family_id + "/transactions", {
                method: "POST", credentials: "same-origin", cache: "no-store",
                headers: { "Content-Type": "application/json" },
                body: JSON.stringify({ client_id: e.client_id, amount: e.amount, description: e.description,
                  category: e.category_id, date: e.date, refund: !!e.refund, typed_by: e.typed_by })
              }).then(function (r) {
                return r.json().catch(function () { return {}; }).then(function (body) {
                  if (r.status === 200 || r.status === 201) {
                    result.sent++;
                    return api.remove(e.client_id).then(function () { return step(i + 1); });
                  }
                  if (r.status === 401 || r.status === 429 || r.status >= 500) {
                    result.stopped = body.error || ("The server answered " + r.status + ".");
                    result.waiting += queue.length - i;
                    return result;
                  }
                  result.failed++;
                  e.state = "failed"; e.reason = body.error || ("Refused (" + r.status + ").");
                  return api.put(e).then(function () { return step(i + 1); });
                });
              }, function () {
                result.stopped = "No connection.";
                result.waiting += queue.length - i;
                return result;
              });
            };
            return step(0);
          });
        });
      };
      /* one sender at a time across tabs and the service worker: a second waits, then finds nothing left */
      if (root.navigator && navigator.locks) return navigator.locks.request("fb-outbox", run);
      return run();
    }
  };
  root.FBOutbox = api;
})(self);
