// sw.js: the service worker that shows Web Push notifications and opens the app on a click.

self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { title: event.data?.text() }; }
  // The payload is homebell's web push message: {title, body, kind, alert, url, notification_id, data}.
  const n = data.notification || data;
  const alert = data.alert || n.alert || 'sound';
  const orderID = n.order_id || n.data?.order_id;
  const url = orderID ? `/#/orders/${encodeURIComponent(orderID)}` : (n.url && n.url.startsWith('/') ? n.url : '/#/inbox');
  event.waitUntil(self.registration.showNotification(n.title || 'homebell', {
    body: n.body || '',
    tag: n.notification_id || n.id || undefined,
    icon: '/avatars/default.svg',
    silent: alert === 'badge',
    vibrate: alert === 'vibration' ? [120, 60, 120] : undefined,
    data: { url },
  }));
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = event.notification.data?.url || '/';
  event.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
    for (const w of wins) { if ('focus' in w) { await w.navigate(url).catch(() => {}); return w.focus(); } }
    return self.clients.openWindow(url);
  })());
});
