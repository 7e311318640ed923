// push.js: Web Push opt-in — a service worker, the server's VAPID key, and the subscription
// handed to homebell.

import { errorTexts } from './i18n.js';

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

/**
 * pushState is where Web Push stands in this browser before anyone clicks: 'unsupported' (no
 * service worker, Push API or notifications, or not a secure page), else the notification
 * permission ('default', 'granted', 'denied').
 */
export function pushState() {
  return pushSupported() ? Notification.permission : 'unsupported';
}

/**
 * enablePush asks permission, subscribes and registers the subscription. It answers what
 * happened: 'on', 'unsupported', 'denied' (blocked: only the browser's site settings can allow it
 * again), 'dismissed' (the prompt was closed without an answer) or 'failed' (the browser's push
 * service refused the subscription); a failed request to homebell throws.
 */
export async function enablePush(api) {
  if (!pushSupported()) return 'unsupported';
  if (Notification.permission === 'denied') return 'denied';
  const perm = await Notification.requestPermission();
  if (perm === 'denied') return 'denied';
  if (perm !== 'granted') return 'dismissed';
  let sub;
  try {
    const reg = await navigator.serviceWorker.register('/sw.js');
    await navigator.serviceWorker.ready;
    const key = await api.get('/v1/push/vapid-public-key');
    const pub = key.public_key || key.key || key.vapid_public_key;
    sub = await reg.pushManager.getSubscription();
    if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: b64ToBytes(pub) });
  } catch (e) {
    if (e?.status) throw e; // homebell answered a problem: shown translated by the caller
    return 'failed';
  }
  await api.post('/v1/me/push-subscriptions', {
    endpoint: sub.endpoint,
    keys: { p256dh: bytesToB64(sub.getKey('p256dh')), auth: bytesToB64(sub.getKey('auth')) },
  }, { create: true });
  await shareSession(api.token, localStorage.getItem('homebell.locale') || 'zh-CN');
  return 'on';
}

/**
 * shareSession hands the signed-in person's token and language to the service worker, so a
 * notification's buttons (Y2) run the action as them, with the app's words for a refusal; an
 * empty token (signed out) withdraws it.
 */
export async function shareSession(token, lang) {
  if (!('serviceWorker' in navigator)) return;
  try {
    const reg = await navigator.serviceWorker.getRegistration('/sw.js');
    const sw = reg?.active || reg?.waiting || reg?.installing;
    if (sw) sw.postMessage({ type: 'session', token: token || '', lang, errors: errorTexts(lang) });
  } catch { /* no service worker here: nothing to share */ }
}
