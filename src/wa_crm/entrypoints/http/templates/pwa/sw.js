// wa_crm's service worker, served at {base}/sw.js after the CONFIG the server writes above:
// { version, offline: the offline page's URL, static: this version's static prefix, assets }.
//
// It keeps only what holds no one's data: the offline page and this version's static files.
// Pages and API answers always come from the network (they are never cached); a page that cannot
// be reached because the device is offline gets the offline page instead.
/* global CONFIG */
"use strict";

const CACHE = `wa_crm-${CONFIG.version}`;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([CONFIG.offline, ...CONFIG.assets]))
      .then(() => self.skipWaiting()),
  );
});

// Yesterday's files go when this version takes over.
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names
        .filter((name) => name.startsWith("wa_crm-") && name !== CACHE)
        .map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(() => caches.match(CONFIG.offline)));
    return;
  }
  const url = new URL(request.url);
  if (url.origin === self.location.origin && url.pathname.startsWith(CONFIG.static)) {
    event.respondWith(caches.match(request).then((cached) => cached || fetch(request)));
  }
});
