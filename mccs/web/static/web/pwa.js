/* MCCS — the installable, offline-capable part of the web UI. An example for front-end developers: it uses only
   the public, documented API (docs/openapi.json) and keeps nothing secret on the device.

   1. Registers the service worker (/sw.js), which keeps the member's dashboard, statement and pay form.
   2. Shows the "you are offline" note when the browser is offline or the page is a kept copy.
   3. The outbox: a payment or payment request made offline is kept in localStorage and sent when the connection
      returns, through POST /api/v1/transfers with an Idempotency-Key made once per form. Sending the same key
      again (a reload, a second tab, a lost answer) can never pay twice: the server answers with the first result.
      To call the API the page asks POST /api/v1/session/token (its session cookie + the CSRF token) for a
      short-lived bearer token, kept in memory only.
   Every page works without this file; the strings it shows come from the page (#pwa-strings), translated. */
(function () {
  "use strict";

  var STORE = "mccs.outbox.v1";
  var body = document.body;
  var user = body.getAttribute("data-user") || "";
  var strings = (document.getElementById("pwa-strings") || { dataset: {} }).dataset;

  function say(name, values) {
    var text = strings[name] || name;
    Object.keys(values || {}).forEach(function (key) { text = text.split("{" + key + "}").join(values[key]); });
    return text;
  }

  // --- 1. service worker ----------------------------------------------------------------------------------------
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (registration) {
      if (!registration.active) { return; }
      if (user && navigator.onLine) {
        var channel = new MessageChannel();  // the worker answers when the pages are kept: the page says so
        channel.port1.onmessage = function () { document.documentElement.setAttribute("data-pages-kept", ""); };
        registration.active.postMessage({ type: "keep-pages" }, [channel.port2]);
      } else if (!user && navigator.onLine) {
        registration.active.postMessage({ type: "forget-pages" });  // signed out: no member pages stay behind
      }
    }).catch(function () { /* no service worker: the site still works online */ });
  }

  document.addEventListener("submit", function (event) {
    if (event.target.getAttribute("action") === "/logout" && "caches" in window) {
      caches.delete("mccs-pages");
    }
  });

  // --- 2. the offline note --------------------------------------------------------------------------------------
  function savedCopy() { return body.getAttribute("data-page-state") === "saved"; }
  function offline() { return !navigator.onLine || savedCopy(); }

  function showOfflineNote() {
    var note = document.getElementById("offline-note");
    if (note) { note.hidden = !offline(); }
  }
  showOfflineNote();
  window.addEventListener("offline", showOfflineNote);
  window.addEventListener("online", function () {
    showOfflineNote();
    flush();
  });

  // --- 3. the outbox --------------------------------------------------------------------------------------------
  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE) || "[]"); } catch (error) { return []; }
  }
  function save(entries) { window.localStorage.setItem(STORE, JSON.stringify(entries)); }
  function update(key, changes) {
    save(load().map(function (entry) {
      return entry.key === key ? Object.assign({}, entry, changes) : entry;
    }));
  }
  function mine() { return load().filter(function (entry) { return entry.user === user; }); }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // Offline only plain amounts: digits, then a point or a comma and one or two decimals ("10", "10.5", "10,50").
  function plainAmount(text) {
    var match = /^\s*(\d{1,12})(?:[.,](\d{1,2}))?\s*$/.exec(text || "");
    if (!match) { return null; }
    var value = match[1].replace(/^0+(?=\d)/, "") + "." + ((match[2] || "") + "00").slice(0, 2);
    return /^0\.00$/.test(value) ? null : value;
  }

  var form = document.getElementById("pay-form");
  if (form) {
    // One key per form the member fills: a new page (or a page brought back by "Back") is a new form.
    form.elements.idempotency_key.value = newKey();
    window.addEventListener("pageshow", function (event) {
      if (event.persisted) { form.elements.idempotency_key.value = newKey(); }
    });
    prefillFromLink();
    form.addEventListener("submit", function (event) {
      if (!offline()) { return; }  // online, the server takes the form as usual
      event.preventDefault();
      queueForm();
    });
  }

  // A kept pay form opened offline from a pay link (QR code) still gets the payee and amount of the link.
  function prefillFromLink() {
    var params = new URLSearchParams(window.location.search);
    [["to", "counterparty"], ["amount", "amount"], ["description", "description"]].forEach(function (pair) {
      var field = form.elements[pair[1]];
      if (field && params.get(pair[0]) && !field.value) { field.value = params.get(pair[0]); }
    });
    var direction = params.get("direction");
    if (direction === "in" || direction === "out") {
      form.querySelectorAll('input[name="direction"]').forEach(function (radio) {
        radio.checked = radio.value === direction;
      });
    }
  }

  function formStatus(text, isError) {
    var box = document.getElementById("pay-form-status");
    if (!box) { return; }
    box.textContent = text;
    box.className = "message " + (isError ? "error" : "success");
    box.hidden = false;
    box.focus();
  }

  function queueForm() {
    var key = form.elements.idempotency_key.value;
    var counterparty = form.elements.counterparty.value.trim();
    var amount = plainAmount(form.elements.amount.value);
    var direction = (form.querySelector('input[name="direction"]:checked') || { value: "out" }).value;
    if (!counterparty) { formStatus(say("needPayee"), true); return; }
    if (!amount) { formStatus(say("needAmount"), true); return; }
    var entries = load();
    var known = entries.some(function (entry) { return entry.key === key; });
    if (!known) {  // the same form sent twice is still one payment
      entries.push({
        key: key,
        user: user,
        initiator: form.getAttribute("data-initiator"),
        direction: direction,
        counterparty: counterparty,
        amount: amount,
        unit: form.getAttribute("data-unit") || "",
        description: form.elements.description.value,
        state: "queued",
        message: "",
        at: new Date().toISOString()
      });
      save(entries);
    }
    form.reset();
    form.elements.idempotency_key.value = newKey();
    formStatus(say("queuedNow"), false);
    render();
    flush();
  }

  function describe(entry) {
    var values = { amount: entry.amount + (entry.unit ? " " + entry.unit : ""), who: entry.name || entry.counterparty };
    return say(entry.direction === "in" ? "lineRequest" : "linePay", values);
  }

  function render() {
    var box = document.getElementById("outbox");
    if (!box) { return; }
    var list = box.querySelector("ul");
    var entries = mine();
    list.textContent = "";
    entries.slice().reverse().forEach(function (entry) {
      var item = document.createElement("li");
      item.className = "outbox-" + entry.state;
      item.setAttribute("data-state", entry.state);
      var what = document.createElement("span");
      what.textContent = describe(entry) + " — ";
      var state = document.createElement("strong");
      state.textContent = say("state_" + entry.state);
      item.appendChild(what);
      item.appendChild(state);
      if (entry.message) {
        var why = document.createElement("span");
        why.className = "outbox-message";
        why.textContent = " " + entry.message;
        item.appendChild(why);
      }
      if (entry.state !== "queued") {
        var dismiss = document.createElement("button");
        dismiss.type = "button";
        dismiss.className = "link";
        dismiss.textContent = say("dismiss");
        dismiss.addEventListener("click", function () {
          save(load().filter(function (other) { return other.key !== entry.key; }));
          render();
        });
        item.appendChild(document.createTextNode(" "));
        item.appendChild(dismiss);
      }
      list.appendChild(item);
    });
    box.hidden = entries.length === 0;
  }

  // --- sending --------------------------------------------------------------------------------------------------
  function csrfToken() {
    var cookie = document.cookie.split("; ").filter(function (part) { return part.indexOf("csrftoken=") === 0; })[0];
    if (cookie) { return decodeURIComponent(cookie.slice("csrftoken=".length)); }
    try { return JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || ""; } catch (error) { return ""; }
  }

  function errorText(response) {
    return response.json().then(function (data) {
      return ((data.errors || [])[0] || {}).message || say("refusedUnknown");
    }, function () { return say("refusedUnknown"); });
  }

  function Stop(reason) { this.reason = reason; }  // keeps the entry queued: try again later

  function sessionToken() {
    return fetch("/api/v1/session/token", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: "{}"
    }).then(function (response) {
      if (response.ok) { return response.json().then(function (data) { return data.data.token; }); }
      throw new Stop(response.status === 401 ? say("signInToSend") : say("reloadToSend"));
    });
  }

  function api(token, method, path, extraHeaders, payload) {
    var headers = Object.assign({ Authorization: "Bearer " + token }, extraHeaders || {});
    if (payload !== undefined) { headers["Content-Type"] = "application/json"; }
    return fetch("/api/v1" + path, { method: method, headers: headers, body: payload, credentials: "omit" });
  }

  // The payee as typed: a 16-digit account number is used as it is; a name is looked up in the directory.
  function receiverFor(token, entry) {
    var digits = entry.counterparty.replace(/[\s-]/g, "");
    if (/^\d{16}$/.test(digits)) { return Promise.resolve({ number: digits, name: entry.name || "" }); }
    var query = "/entities?page_size=10&name=" + encodeURIComponent(entry.counterparty);
    return api(token, "GET", query).then(function (response) {
      if (!response.ok) { throw new Stop(""); }
      return response.json();
    }).then(function (data) {
      var wanted = entry.counterparty.toLowerCase();
      var found = (data.data || []).filter(function (entity) {
        return entity.accountNumber && entity.accountNumber !== entry.initiator;
      });
      var exact = found.filter(function (entity) { return (entity.entityName || "").toLowerCase() === wanted; });
      var pick = exact.length === 1 ? exact : found;
      if (pick.length === 1) { return { number: pick[0].accountNumber, name: pick[0].entityName }; }
      return { refused: say(pick.length ? "severalMatch" : "noMatch", { who: entry.counterparty }) };
    });
  }

  function send(token, entry) {
    return receiverFor(token, entry).then(function (receiver) {
      if (receiver.refused) { update(entry.key, { state: "refused", message: receiver.refused }); return; }
      if (receiver.name) { update(entry.key, { name: receiver.name }); }
      // The amount goes as a JSON number written exactly as checked ("10.50"), never through a float.
      var payload = JSON.stringify({
        transfer: entry.direction,
        initiator: entry.initiator,
        receiver: receiver.number,
        amount: "@AMOUNT@",
        description: entry.description
      }).replace('"@AMOUNT@"', entry.amount);
      return api(token, "POST", "/transfers", { "Idempotency-Key": entry.key }, payload).then(function (response) {
        if (response.ok) {
          return response.json().then(function (data) {
            update(entry.key, { state: "sent", message: say("sentNote"), transfer: data.data.id });
          });
        }
        if (response.status === 401 || response.status === 429 || response.status >= 500) {
          throw new Stop("");  // not refused: try again later with a new token
        }
        return errorText(response).then(function (text) { update(entry.key, { state: "refused", message: text }); });
      });
    });
  }

  var flushing = false;
  function flush() {
    if (!user || !navigator.onLine || flushing) { return; }
    if (!mine().some(function (entry) { return entry.state === "queued"; })) { render(); return; }
    flushing = true;
    var run = function () {
      // Read the queue again under the lock: another tab may have sent some entries meanwhile.
      var queued = mine().filter(function (entry) { return entry.state === "queued"; });
      if (!queued.length) { return Promise.resolve(); }
      return sessionToken().then(function (token) {
        return queued.reduce(function (chain, entry) {
          return chain.then(function () { return send(token, entry).then(render); });
        }, Promise.resolve());
      });
    };
    var locked = navigator.locks ? navigator.locks.request("mccs-outbox", run) : run();
    locked.catch(function (error) {
      var note = error instanceof Stop ? error.reason : "";
      mine().filter(function (entry) { return entry.state === "queued"; }).forEach(function (entry) {
        update(entry.key, { message: note });
      });
    }).then(function () {
      flushing = false;
      render();
    });
  }

  render();
  flush();
  window.addEventListener("storage", function (event) { if (event.key === STORE) { render(); } });
}());
