// push.js: Web Push opt-in — a service worker, the server's VAPID key, and the subscription
// handed to homebell.

export function pushSupported() {
  return 'serviceWorker' in navigator && 'PushManager' in globalThis && 'Notification' in globalThis && globalThis.isSecureContext;
}

function b64ToBytes(s) {
  const pad = '='.repeat((4 - (s.length % 4)) % 4);
  const raw = atob((s + pad).replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

function bytesToB64(buf) {
  return btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** enablePush asks permission, subscribes and registers the subscription; false if refused. */
export async function enablePush(api) {
  const perm = await Notification.requestPermission();
  if (perm !== 'granted') return false;
  const reg = await navigator.serviceWorker.register('/sw.js');
  await navigator.serviceWorker.ready;
  const key = await api.get('/v1/push/vapid-public-key');
  const pub = key.public_key || key.key || key.vapid_public_key;
  let sub = await reg.pushManager.getSubscription();
  if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(pub) });
  await api.post('/v1/me/push-subscriptions', {
    endpoint: sub.endpoint,
    keys: { p256dh: bytesToB64(sub.getKey('p256dh')), auth: bytesToB64(sub.getKey('auth')) },
  }, { create: true });
  return true;
}
