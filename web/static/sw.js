// sw.js: the service worker that shows Web Push notifications, opens the app on a click, and runs
// a notice's action from the notification's buttons (Y2): it calls homebell's API with the
// person's session, which the open app hands over (push.js shareSession) and is kept here in the
// Cache API (a service worker has no localStorage).

const SESSION = '/__homebell_session';

// Buttons a notification may show, by action type, in the person's language.
const LABELS = {
  'zh-CN': { accept_time_change: '同意改期', decline_time_change: '拒绝改期', approve_cancellation: '批准取消',
    decline_cancellation: '驳回取消', acknowledge: '收到', acknowledge_sos: '我来处理' },
  en: { accept_time_change: 'Accept', decline_time_change: 'Decline', approve_cancellation: 'Approve',
    decline_cancellation: 'Decline', acknowledge: 'Got it', acknowledge_sos: "I'm on it" },
};
const DONE = { 'zh-CN': '已完成', en: 'Done' };

async function saveSession(s) {
  const c = await caches.open('homebell-session');
  if (s && s.token) await c.put(SESSION, new Response(JSON.stringify(s)));
  else await c.delete(SESSION);
}

async function session() {
  const c = await caches.open('homebell-session');
  const r = await c.match(SESSION);
  try { return r ? await r.json() : {}; } catch { return {}; }
}

self.addEventListener('message', (event) => {
  if (event.data?.type === 'session') {
    event.waitUntil(saveSession({ token: event.data.token, lang: event.data.lang, errors: event.data.errors || {} }));
  }
});

self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { title: event.data?.text() }; }
  // The payload is homebell's web push message: {title, body, kind, alert, url, notification_id, data}.
  const n = data.notification || data;
  const alert = data.alert || n.alert || 'sound';
  const orderID = n.order_id || n.data?.order_id;
  const url = orderID ? `/#/orders/${encodeURIComponent(orderID)}` : (n.url && n.url.startsWith('/') ? n.url : '/#/inbox');
  const id = n.notification_id || n.id;
  event.waitUntil((async () => {
    const s = await session();
    const labels = LABELS[s.lang === 'en' ? 'en' : 'zh-CN'];
    const max = (self.Notification && Notification.maxActions) || 2;
    const actions = id && s.token && !n.data?.acknowledged_at
      ? (n.data?.actions || []).filter((a) => labels[a.type]).slice(0, max).map((a) => ({ action: a.type, title: labels[a.type] }))
      : [];
    return self.registration.showNotification(n.title || 'homebell', {
      body: n.body || '',
      tag: id || undefined,
      icon: '/avatars/default.svg',
      silent: alert === 'badge',
      vibrate: alert === 'vibration' ? [120, 60, 120] : undefined,
      requireInteraction: actions.length > 0,
      actions,
      data: { url, id },
    });
  })());
});

async function openApp(url) {
  const wins = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  for (const w of wins) { if ('focus' in w) { await w.navigate(url).catch(() => {}); return w.focus(); } }
  return self.clients.openWindow(url);
}

// runAction calls POST /v1/me/inbox/{id}/actions/{action} as the signed-in person. On success the
// notification is replaced by a short confirmation; on a refusal (the notice is out of date, the
// session ended) it says why in the person's language and the app opens where they can see more.
async function runAction(id, action, url) {
  const s = await session();
  if (!s.token) return openApp(url);
  const res = await fetch(`/v1/me/inbox/${encodeURIComponent(id)}/actions/${encodeURIComponent(action)}`, {
    method: 'POST', headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' }, body: '{}',
  }).catch(() => null);
  if (res && res.ok) {
    return self.registration.showNotification(DONE[s.lang === 'en' ? 'en' : 'zh-CN'], { tag: id, silent: true, data: { url } });
  }
  let code = '';
  try { code = (await res.json()).code || ''; } catch { /* no body */ }
  // The app's own words for the refusal (handed over with the session), never the API's detail.
  const why = s.errors?.[code];
  if (why) await self.registration.showNotification('homebell', { tag: id, body: why, data: { url } });
  return openApp(url);
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const { url = '/', id } = event.notification.data || {};
  if (event.action && id) { event.waitUntil(runAction(id, event.action, url)); return; }
  event.waitUntil(openApp(url));
});
