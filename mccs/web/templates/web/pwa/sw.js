/* MCCS service worker (version __VERSION__). Small on purpose; read it top to bottom.

   - Network first, always: online, every page and file comes fresh from the server.
   - It keeps copies of what is needed offline: the static files every page uses (when it installs) and the
     signed-in member's dashboard, statement and pay form (each time one of them loads, and when pwa.js asks).
   - Offline, a kept page is shown marked as saved (pwa.js then shows the "you are offline" note); any other page
     gets /offline.
   - It never touches the API (/api/): payments made offline are queued and sent by pwa.js, not here.
   - Pages that redirect (to sign-in) are never kept, and they throw away the kept member pages. */
"use strict";

var SHELL = "mccs-shell-__VERSION__";
var PAGES = "mccs-pages";
var SHELL_URLS = {{ shell_urls|safe }};
var OFFLINE_PAGES = {{ offline_pages|safe }};
var OFFLINE_URL = "/offline";

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(SHELL_URLS); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (key) {
        return key.indexOf("mccs-shell-") === 0 && key !== SHELL;
      }).map(function (key) { return caches.delete(key); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  if (request.method !== "GET") { return; }
  var url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.indexOf("/api/") === 0) { return; }
  if (request.mode === "navigate") {
    event.respondWith(navigate(request, url));
  } else if (SHELL_URLS.indexOf(url.pathname) !== -1) {
    event.respondWith(shellFile(request, url));
  }
});

function keptPage(url) {
  return OFFLINE_PAGES.indexOf(url.pathname) !== -1 ? url.pathname : null;
}

function navigate(request, url) {
  var key = keptPage(url);
  return fetch(request).then(function (response) {
    if (response.redirected) {
      caches.delete(PAGES);  // signed out: forget the member's pages
    } else if (key && !url.search && response.ok) {
      var copy = response.clone();
      caches.open(PAGES).then(function (cache) { return cache.put(key, copy); });
    }
    return response;
  }).catch(function () {
    var kept = key ? caches.open(PAGES).then(function (cache) { return cache.match(key); }) : Promise.resolve();
    return kept.then(function (response) {
      if (response) { return markSaved(response); }
      return caches.match(OFFLINE_URL).then(function (fallback) { return fallback || Response.error(); });
    });
  });
}

// The kept copy says it is one: pwa.js shows the offline note on pages whose body has data-page-state="saved".
function markSaved(response) {
  return response.text().then(function (html) {
    return new Response(html.replace('data-page-state="live"', 'data-page-state="saved"'), {
      headers: { "Content-Type": "text/html; charset=utf-8" }
    });
  });
}

function shellFile(request, url) {
  return fetch(request).then(function (response) {
    if (response.ok) {
      var copy = response.clone();
      caches.open(SHELL).then(function (cache) { return cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.open(SHELL).then(function (cache) { return cache.match(url.pathname); })
      .then(function (response) { return response || Response.error(); });
  });
}

// pwa.js asks for the member's pages to be kept even if they were never opened (the pay form must open offline).
// One keeping runs at a time, so quick page changes do not fetch the same pages side by side. A redirect is not
// followed: if the session ended meanwhile, following it would render the sign-in page out of sight, for nothing.
// A sender that passes a MessagePort hears "kept" when its keeping is done (pwa.js then marks the page).
var keeping = Promise.resolve();

function keepPages(refresh) {
  return caches.open(PAGES).then(function (cache) {
    return Promise.all(OFFLINE_PAGES.map(function (path) {
      return cache.match(path).then(function (kept) {
        if (kept && !refresh) { return null; }
        return fetch(path, { credentials: "same-origin", redirect: "manual" }).then(function (response) {
          if (response.ok) { return cache.put(path, response); }  // a redirect is "opaqueredirect", not ok
          return null;
        }).catch(function () { return null; });
      });
    }));
  });
}

self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "keep-pages") {
    var port = event.ports && event.ports[0];
    keeping = keeping.then(function () { return keepPages(event.data.refresh); })
      .catch(function () { return null; })  // no storage: the site still works online, and the next keeping runs
      .then(function () { if (port) { port.postMessage("kept"); } });
    event.waitUntil(keeping);
  } else if (event.data && event.data.type === "forget-pages") {
    event.waitUntil(caches.delete(PAGES));
  }
});
