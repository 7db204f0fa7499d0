// Service worker: the app shell offline.
// - Precaches the shell into a cache named after the build (.ci/lib.sh replaces __BUILD_VERSION__ with a hash
//   of the build), so a new build installs a new cache and the activate step deletes the old ones.
// - Navigations go to the network first and fall back to the cached index.html (offline start).
// - Shell assets are served cache-first (the versioned cache is the source of truth for this build).
// - /api and /sync are never cached or intercepted: data goes through IndexedDB and the sync socket.
const VERSION = '__BUILD_VERSION__';
const CACHE = `crm-shell-${VERSION}`;
const SHELL = [
  '/',
  '/index.html',
  '/app.css',
  '/manifest.webmanifest',
  '/boot.js',
  '/pkg/crm-app.js',
  '/pkg/crm-app_bg.wasm',
  '/icons/icon-192.png',
  '/icons/icon-512.png',
  '/icons/maskable-192.png',
  '/icons/maskable-512.png',
  '/icons/apple-touch-icon.png',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // `no-cache` revalidates each file with the server (so the new cache holds this build's files, not stale
    // ones) without downloading again what the page has just fetched.
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'no-cache' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith('crm-shell-') && n !== CACHE).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

function bypass(url) {
  return url.origin !== self.location.origin || url.pathname.startsWith('/api') || url.pathname.startsWith('/sync');
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (bypass(url)) return;

  if (req.mode === 'navigate') {
    event.respondWith((async () => {
      try {
        return await fetch(req);
      } catch (_) {
        const cache = await caches.open(CACHE);
        return (await cache.match('/index.html')) || (await cache.match('/')) || Response.error();
      }
    })());
    return;
  }

  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    const hit = await cache.match(req, { ignoreSearch: true });
    if (hit) return hit;
    return fetch(req);
  })());
});
