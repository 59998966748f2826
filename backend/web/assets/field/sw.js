// The field app's service worker (served at /app/field/sw.js, scope /app/field): keeps the
// shell, its script, stylesheet, manifest and icon, and serves them from the cache at once
// while fetching a fresh copy for next time, so the app opens with no signal and fast on a
// slow one. Nothing else is touched: data.json, the API and photos always go to the network
// (the page keeps its own offline copy of data.json, and the queue, in IndexedDB).

const CACHE = "sentrace-field-v1";
const SHELL = [
  "/app/field",
  "/app/field/field.css",
  "/app/static/build/field.js",
  "/app/field/manifest.webmanifest",
  "/app/field/icons/192.png",
];

async function refresh(cache, key, request) {
  const response = await fetch(request ?? key, { credentials: "same-origin", cache: "no-cache" });
  // A redirect is the sign-in page (the session ended): never cached as the shell.
  if (response.ok && !response.redirected) await cache.put(key, response.clone());
  return response;
}

self.addEventListener("install", (event) => {
  self.skipWaiting();
  event.waitUntil(
    caches.open(CACHE).then((cache) => Promise.all(SHELL.map((key) => refresh(cache, key).catch(() => null)))),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("sentrace-field") && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !SHELL.includes(url.pathname)) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      const cached = await cache.match(url.pathname);
      const fresh = refresh(cache, url.pathname, request.mode === "navigate" ? url.pathname : request).catch(() => null);
      if (cached) {
        event.waitUntil(fresh);
        return cached;
      }
      return (await fresh) ?? new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
    })(),
  );
});
