/* Family Budget app shell: registers the service worker, keeps the offline form's knowledge fresh
 * (who is signed in, the families' categories) and sends the device's waiting entries when the
 * connection returns (the online event, Background Sync, or the next time the app opens).
 * On the offline page it also draws the quick-entry form and the list of waiting entries. */
(function () {
  "use strict";
  var BASE = self.FB_BASE || "";
  var box = self.FBOutbox;
  var onOfflinePage = !!document.getElementById("fb-offline-form");
  var sending = null, reachable = navigator.onLine, serverDown = false, awayTimer = null;

  function register() {
    if (!("serviceWorker" in navigator)) return Promise.resolve(null);
    return navigator.serviceWorker.register(BASE + "/sw.js", { scope: BASE + "/" }).catch(function () { return null; });
  }

  function askSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register("fb-outbox");
    }).catch(function () {});
  }

  function send() {
    if (sending) return sending;
    sending = box.refresh().then(function (known) {
      reachable = known !== "unreachable";
      return box.deliver();
    }).then(function (result) {
      sending = null; done(result); return result;
    }, function () { sending = null; });
    return sending;
  }

  /* Money the family's way: its locale comes with /api/v1/me ("de-DE"); before that, the browser's. */
  function currencyFormat(currency, locale) {
    return new Intl.NumberFormat(locale || undefined, { style: "currency", currency: currency });
  }

  function typedNumber(typed) {  // how the server reads a typed amount (money._normalise_separators)
    var s = String(typed).replace(/[^0-9.,-]/g, ""), dot = s.lastIndexOf("."), comma = s.lastIndexOf(",");
    if (dot >= 0 && comma >= 0) {  // 1.234,56 or 1,234.56: the last one is the decimal mark
      var mark = Math.max(dot, comma);
      return Number(s.slice(0, mark).replace(/[.,]/g, "") + "." + s.slice(mark + 1));
    }
    var parts = s.split(dot >= 0 ? "." : ",");
    if (parts.length > 2 || (comma >= 0 && parts[1].length === 3)) return Number(parts.join(""));  // grouping only
    return Number(parts.join("."));
  }

  function money(amountText, currency, locale) {
    var n = typedNumber(amountText);
    if (!isFinite(n)) return amountText + " " + currency;
    try { return currencyFormat(currency, locale).format(n); }
    catch (e) { return amountText + " " + currency; }
  }

  function typedExample(f, value) {  // an amount as the family types it: 12.50, 12,50, 1250 (yen)
    try {
      var places = currencyFormat(f.currency, f.locale).resolvedOptions().maximumFractionDigits;
      return new Intl.NumberFormat(f.locale || undefined, {
        minimumFractionDigits: places, maximumFractionDigits: places, useGrouping: false
      }).format(value);
    } catch (e) { return value.toFixed(2); }
  }

  function localToday() {
    var d = new Date();
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  /* --- on the app's own pages: a banner when offline or when an entry needs attention ------------- */
  function banner(html) {
    var el = document.getElementById("fb-shell-banner");
    if (!html) { if (el) el.remove(); return; }
    if (!el) {
      el = document.createElement("div");
      el.id = "fb-shell-banner";
      el.setAttribute("role", "status");
      el.style.cssText = "position:fixed;left:50%;transform:translateX(-50%);bottom:16px;z-index:1000100;" +
        "background:#2f7d57;color:#fff;padding:10px 16px;border-radius:10px;font:15px system-ui,sans-serif;" +
        "box-shadow:0 4px 16px rgba(0,0,0,.25);max-width:calc(100vw - 32px)";
      document.body.appendChild(el);
    }
    el.innerHTML = html;
  }

  /* While the server is away Streamlit shows a modal "connection error" dialog, which makes the rest
   * of the page inert; a modal dialog of our own, opened after it, is the one that can be used. */
  function awayDialog(show) {
    var el = document.getElementById("fb-away");
    if (!show) { clearInterval(awayTimer); if (el) { el.close(); el.remove(); } return; }
    if (el) return;
    el = document.createElement("dialog");
    el.id = "fb-away";
    el.style.cssText = "border:0;border-radius:12px;padding:20px 22px;max-width:min(420px,calc(100vw - 40px));" +
      "font:16px system-ui,sans-serif;box-shadow:0 8px 30px rgba(0,0,0,.3)";
    el.innerHTML = '<p style="margin:0 0 14px">The app cannot reach its server. What you type in the offline ' +
      'form stays on this device and is sent when the server is back.</p>' +
      '<a style="display:inline-block;background:#2f7d57;color:#fff;padding:9px 14px;border-radius:8px;' +
      'font-weight:600;text-decoration:none" href="' + BASE + '/shell/offline.html">Type an expense offline</a> ' +
      '<button type="button" style="margin-left:8px;padding:9px 12px;border-radius:8px;border:1px solid #bbb;' +
      'background:#fff">Wait here</button>';
    el.querySelector("button").addEventListener("click", function () { el.close(); });
    document.body.appendChild(el);
    var dismissed = false;
    el.querySelector("button").addEventListener("click", function () { dismissed = true; });
    function raise() {  // stay the topmost modal: one opened later would make this one inert
      if (dismissed) return;
      var modals = document.querySelectorAll(":modal");
      if (el.open && modals[modals.length - 1] === el) return;
      if (el.open) el.close();
      try { el.showModal(); } catch (e) { el.show(); }
    }
    raise();
    clearInterval(awayTimer);
    awayTimer = setInterval(raise, 1000);
  }

  function pageBanner() {
    if (onOfflinePage) return;
    var link = '<a style="color:#fff;font-weight:600" href="' + BASE + '/shell/offline.html">';
    if (!navigator.onLine) { banner("No connection. " + link + "Type an expense offline</a>"); return; }
    if (serverDown) { banner(null); return; }  // the dialog below says it
    box.all().then(function (entries) {
      var failed = entries.filter(function (e) { return e.state === "failed"; }).length;
      if (failed) banner(failed + (failed === 1 ? " entry typed offline was" : " entries typed offline were") +
        " refused. " + link + "Review</a>");
      else banner(null);
    });
  }

  function done(result) {
    if (onOfflinePage) { draw(result); return; }
    pageBanner();
  }

  /* --- the offline page --------------------------------------------------------------------------- */
  var me = null, editing = null, lastResult = null;
  var sentNow = 0;  /* entries sent since the connection last returned, by this page or the service worker */
  function $(id) { return document.getElementById(id); }
  function text(el, s) { el.textContent = s; return el; }

  function family() {
    if (!me || !me.families.length) return null;
    var id = Number($("fb-family").value) || me.families[0].id;
    return me.families.filter(function (f) { return f.id === id; })[0] || me.families[0];
  }

  function fillCategories(selected) {
    var f = family(), sel = $("fb-category");
    sel.innerHTML = "";
    (f && f.categories || []).forEach(function (c) {
      var o = document.createElement("option");
      o.value = c.id; o.textContent = c.label;
      sel.appendChild(o);
    });
    if (selected) sel.value = String(selected);
    $("fb-amount-label").textContent = "Amount (" + (f ? f.currency : "") + ")";
    if (f) $("fb-amount").placeholder = typedExample(f, 0);
  }

  function status(result) {
    var s = $("fb-status"), parts = [];
    if (!navigator.onLine || !reachable) parts.push("Offline: what you save stays on this device and is sent when the connection returns.");
    else parts.push("Online.");
    if (sentNow) parts.push(sentNow + (sentNow === 1 ? " entry sent." : " entries sent."));
    if (result && result.stopped && navigator.onLine && reachable) parts.push("Not sent yet: " + result.stopped);
    s.textContent = parts.join(" ");
  }

  function draw(result) {
    if (result) { lastResult = result; sentNow += result.sent; }  /* the second sender finds nothing left */
    status(lastResult);
    return box.all().then(function (entries) {
      var ul = $("fb-waiting");
      ul.innerHTML = "";
      $("fb-empty").hidden = entries.length > 0;
      $("fb-waiting-title").textContent = "Waiting to be sent (" + entries.length + ")";
      $("fb-send-now").hidden = !entries.length || !navigator.onLine || !reachable;
      entries.forEach(function (e) {
        var li = document.createElement("li");
        li.dataset.clientId = e.client_id;
        li.dataset.state = e.state;
        var top = document.createElement("div"); top.className = "top";
        top.appendChild(text(document.createElement("span"), e.description || e.category_label));
        top.appendChild(text(document.createElement("span"), (e.refund ? "+" : "") + money(e.amount, e.currency, e.locale))).className = "amt";
        li.appendChild(top);
        var meta = text(document.createElement("div"), e.category_label + " · " + e.date + " · " + e.family_name +
          (e.state === "failed" ? "" : " · waiting"));
        meta.className = "meta";
        li.appendChild(meta);
        if (e.state === "failed") {
          var why = text(document.createElement("div"), "Not accepted: " + e.reason);
          why.className = "err";
          li.appendChild(why);
          var row = document.createElement("div"); row.className = "row";
          [["Edit", function () { edit(e); }], ["Send again", function () { resend(e); }],
           ["Delete", function () { if (confirm("Delete this entry from the device?")) box.remove(e.client_id).then(function () { draw(); }); }]]
            .forEach(function (b) {
              var btn = text(document.createElement("button"), b[0]);
              btn.type = "button"; btn.className = "quiet"; btn.onclick = b[1];
              row.appendChild(btn);
            });
          li.appendChild(row);
        }
        ul.appendChild(li);
      });
      return entries;
    });
  }

  function resend(e) {
    e.state = "waiting"; e.reason = null;
    return box.put(e).then(function () { askSync(); return draw(); }).then(function () {
      if (navigator.onLine) return send();
    });
  }

  function edit(e) {
    editing = e;
    if (me && me.families.length > 1) $("fb-family").value = String(e.family_id);
    fillCategories(e.category_id);
    $("fb-amount").value = e.amount;
    $("fb-description").value = e.description;
    $("fb-date").value = e.date;
    $("fb-refund").checked = !!e.refund;
    $("fb-save").textContent = "Save changes";
    $("fb-cancel-edit").hidden = false;
    $("fb-amount").focus();
  }

  function resetForm() {
    editing = null;
    $("fb-amount").value = ""; $("fb-description").value = ""; $("fb-refund").checked = false;
    $("fb-date").value = localToday();
    $("fb-save").textContent = "Save on this device";
    $("fb-cancel-edit").hidden = true;
    $("fb-form-error").hidden = true;
  }

  function submit(ev) {
    ev.preventDefault();
    var f = family(), err = $("fb-form-error");
    var amount = $("fb-amount").value.trim(), cat = $("fb-category");
    var problem = !f ? "Open the app once with a connection first." :
      !/^[^\d-]{0,3}\s*\d[\d.,\s]*$/.test(amount) ? "Type an amount, such as " + typedExample(f, 12.5) + "." :
      !cat.value ? "Choose a category." : !$("fb-date").value ? "Choose a date." : null;
    if (problem) { err.textContent = problem; err.hidden = false; $("fb-amount").focus(); return; }
    var fields = {
      family_id: f.id, family_name: f.name, currency: f.currency, locale: f.locale, typed_by: me.user.id,
      amount: amount, description: $("fb-description").value.trim(), category_id: Number(cat.value),
      category_label: cat.options[cat.selectedIndex].textContent, date: $("fb-date").value,
      refund: $("fb-refund").checked
    };
    var saved = editing ? box.put(Object.assign(editing, fields, { state: "waiting", reason: null })) : box.save(fields);
    saved.then(function () {
      resetForm(); askSync();
      return draw();
    }).then(function () {
      $("fb-amount").focus();
      if (navigator.onLine) send();
    });
  }

  function startOfflinePage() {
    $("fb-offline-form").addEventListener("submit", submit);
    $("fb-cancel-edit").onclick = function () { resetForm(); };
    $("fb-send-now").onclick = function () { send(); };
    $("fb-family").onchange = function () { fillCategories(); };
    $("fb-date").value = localToday();
    return box.getMeta("me").then(function (known) {
      me = known;
      if (!me || !me.families.length) { $("fb-no-family").hidden = false; return draw(); }
      var sel = $("fb-family");
      me.families.forEach(function (f) {
        var o = document.createElement("option"); o.value = f.id; o.textContent = f.name; sel.appendChild(o);
      });
      $("fb-family-row").hidden = me.families.length < 2;
      fillCategories();
      $("fb-offline-form").hidden = false;
      $("fb-amount").focus();
      return draw();
    });
  }

  /* --- both ----------------------------------------------------------------------------------------- */
  window.addEventListener("online", function () { status(lastResult); send(); pageBanner(); });
  window.addEventListener("offline", function () { sentNow = 0; if (onOfflinePage) draw(); else pageBanner(); });
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (ev) {
      if (ev.data && ev.data.type === "fb-delivered") done(ev.data.result);
    });
  }

  /* Keep the form's knowledge fresh on the app's pages: until someone signs in here (the sign-in
   * happens over the page's WebSocket, without a page load) ask every few seconds, then now and then
   * and whenever the app comes back into view. */
  function keepFresh() {
    if (onOfflinePage || document.hidden || !navigator.onLine) return;
    box.getMeta("me").then(function (known) {
      if (!known) send();
    });
  }
  if (onOfflinePage) {
    /* the online event does not fire when only the server was away, and not every browser has
     * Background Sync: while something waits or the server is out of reach, try again every few seconds */
    setInterval(function () {
      if (document.hidden || sending) return;
      box.all().then(function (entries) {
        if (!reachable || entries.some(function (e) { return e.state === "waiting"; })) send();
      });
    }, 5000);
  } else {
    setInterval(keepFresh, 4000);
    /* the phone may have signal while the app's server is out of reach (the page's connection
     * dropped): ask the server's public health check and lead to the offline form meanwhile */
    setInterval(function () {
      if (document.hidden || !navigator.onLine) return;
      var ctrl = new AbortController();
      var giveUp = setTimeout(function () { ctrl.abort(); }, 2500);
      fetch(BASE + "/_stcore/health", { cache: "no-store", signal: ctrl.signal, credentials: "same-origin" })
        .then(function (r) { return r.ok; }, function () { return false; })
        .then(function (ok) {
          clearTimeout(giveUp);
          if (ok === serverDown) { serverDown = !ok; pageBanner(); awayDialog(serverDown); }
        });
    }, 5000);
    setInterval(function () { if (!document.hidden && navigator.onLine) send(); }, 600000);
    document.addEventListener("visibilitychange", function () { if (!document.hidden && navigator.onLine) send(); });
  }

  register();
  var ready = onOfflinePage ? startOfflinePage() : Promise.resolve();
  ready.then(function () {
    if (navigator.onLine) send(); else pageBanner();
  });
})();
