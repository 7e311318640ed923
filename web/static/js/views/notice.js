// notice.js: what a notice asks its reader to do, as buttons (Y2) — accept or decline a time
// change, approve or decline a cancellation, acknowledge ("收到"), take an SOS, and, in a small
// form that opens under the notice, rate a finished service, reply to a review or to a chat
// message — run through POST /v1/me/inbox/{id}/actions/{type} with the app's own rules. An
// out-of-date notice answers notice_stale, shown translated; nothing changes then.

import { h, field } from '../dom.js';
import { busy } from './kit.js';

/** BUTTONS are the actions a notice runs in place with one tap. */
export const BUTTONS = ['accept_time_change', 'decline_time_change', 'approve_cancellation', 'decline_cancellation', 'acknowledge', 'acknowledge_sos'];

/** FORMS are the actions that need a few words or stars first: a form opens under the notice. */
export const FORMS = ['review', 'reply_review', 'reply'];

/** needsAck reports whether a notice still waits for this person's acknowledgement. */
export function needsAck(n) { return Boolean(n.data?.ack_required) && !n.data?.acknowledged_at; }

/** noticeActions renders n's runnable actions; after() runs once one succeeded. */
export function noticeActions(ctx, n, after) {
  const { t, app } = ctx;
  const done = n.data?.done_action;
  const all = done ? [] : (n.data?.actions || []);
  const acts = all.filter((a) => BUTTONS.includes(a.type) && (a.type !== 'acknowledge' || needsAck(n)));
  const forms = all.filter((a) => FORMS.includes(a.type));
  const parts = [];
  if (done) parts.push(h('span', { class: 'status status-done', text: t(`notice.done.${done}`) }));
  else if (n.data?.ack_required && n.data?.acknowledged_at) parts.push(h('span', { class: 'status status-acknowledged', text: t('notice.acknowledged') }));
  if (!acts.length && !forms.length && !parts.length) return null;
  const err = h('div');
  const panel = h('div', { class: 'notice-form-panel' });
  for (const a of forms) {
    const b = h('button', { type: 'button', class: 'primary notice-action', dataset: { action: a.type }, 'aria-expanded': 'false', text: t(`notice.action.${a.type}`) });
    b.addEventListener('click', () => {
      const open = b.getAttribute('aria-expanded') !== 'true';
      for (const x of parts) if (x.dataset?.action && FORMS.includes(x.dataset.action)) x.setAttribute('aria-expanded', 'false');
      b.setAttribute('aria-expanded', String(open));
      panel.replaceChildren(...(open ? [actionForm(ctx, n, a.type, after)] : []));
      panel.querySelector('input, textarea')?.focus();
    });
    parts.push(b);
  }
  for (const a of acts) {
    const primary = a.type.startsWith('accept') || a.type.startsWith('approve') || a.type.startsWith('acknowledge');
    const b = h('button', { type: 'button', class: `${primary ? 'primary ' : ''}notice-action`, dataset: { action: a.type }, text: t(`notice.action.${a.type}`) });
    b.addEventListener('click', (ev) => {
      ev.stopPropagation();
      busy(ctx, b, async () => {
        await ctx.api.post(`/v1/me/inbox/${encodeURIComponent(n.id)}/actions/${encodeURIComponent(a.type)}`, {});
        app.ok(t(`notice.done.${a.type}`));
        await after?.();
      }, err);
    });
    parts.push(b);
  }
  const box = h('div', { class: 'row gap notice-actions' }, parts);
  const wrap = h('div', { class: 'notice-actions-wrap' }, box, panel, err);
  // Taps and keys inside the actions (typing Enter in a reply) are not the notice's own "open".
  wrap.addEventListener('click', (ev) => ev.stopPropagation());
  wrap.addEventListener('keydown', (ev) => ev.stopPropagation());
  return wrap;
}

let formSeq = 0;

/**
 * actionForm is the small form of a review (stars as real radio buttons, optional words), a
 * reply to a review, or a reply to a chat message; a chat reply carries one client id per form,
 * so pressing send twice sends once.
 */
function actionForm(ctx, n, type, after) {
  const { t, app } = ctx;
  const id = `nf-${++formSeq}`;
  const err = h('div');
  let rating = 0;
  const rows = [];
  if (type === 'review') {
    const caption = h('span', { class: 'star-caption', 'aria-live': 'polite', text: t('review.pickStars') });
    const group = h('fieldset', { class: 'stars-input notice-stars' }, h('legend', { class: 'field-label', text: t('review.stars') }));
    const labels = [];
    for (let k = 1; k <= 5; k += 1) {
      const input = h('input', { type: 'radio', name: `${id}-rating`, id: `${id}-star-${k}`, class: 'star-radio', value: String(k) });
      input.addEventListener('change', () => {
        rating = k;
        labels.forEach((l, i) => l.classList.toggle('on', i < k));
        caption.textContent = t(`review.word${k}`);
        err.replaceChildren();
      });
      const label = h('label', { for: `${id}-star-${k}`, class: 'star-label' },
        h('span', { 'aria-hidden': 'true', text: '★' }), h('span', { class: 'sr-only', text: t('review.starsLabel', { n: k }) }));
      labels.push(label);
      group.append(input, label);
    }
    group.append(caption);
    rows.push(group);
  }
  const text = h('textarea', { id: `${id}-text`, class: 'notice-text', rows: 2, maxlength: type === 'reply' ? 2000 : 500,
    required: type !== 'review', placeholder: t(type === 'review' ? 'review.textPh' : 'notice.replyPh') });
  text.addEventListener('input', () => err.replaceChildren());
  rows.push(field(t(type === 'review' ? 'review.text' : 'notice.replyLabel'), text));
  const clientID = `notice-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const go = h('button', { type: 'submit', class: 'primary notice-submit', dataset: { action: type }, text: t(type === 'review' ? 'review.submit' : 'notice.send') });
  return h('form', { class: 'form notice-form', dataset: { action: type }, novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    const words = text.value.trim();
    if (type === 'review' && !rating) { err.replaceChildren(h('div', { class: 'problem', role: 'alert', text: t('review.needStars') })); return; }
    if (type !== 'review' && !words) { err.replaceChildren(h('div', { class: 'problem', role: 'alert', text: t('notice.needText') })); text.focus(); return; }
    const body = type === 'review' ? { rating, text: words } : type === 'reply' ? { text: words, client_id: clientID } : { text: words };
    busy(ctx, go, async () => {
      await ctx.api.post(`/v1/me/inbox/${encodeURIComponent(n.id)}/actions/${encodeURIComponent(type)}`, body);
      app.ok(t(`notice.done.${type}`));
      await after?.();
    }, err);
  } }, rows, err, go);
}

/**
 * orderAckCard is the worker's "收到" on an order whose new assignment waits for their
 * acknowledgement (Y1); null when nothing waits.
 */
export async function orderAckCard(ctx, o, base) {
  const { t, me, app } = ctx;
  if (me.role !== 'worker' || (o.worker_id || o.worker?.id) !== me.id) return null;
  let waiting = [];
  try {
    const res = await ctx.api.get('/v1/me/inbox?category=service&limit=50');
    waiting = (res.items || []).filter((n) => n.order_id === o.id && needsAck(n));
  } catch { return null; }
  if (!waiting.length) return null;
  const err = h('div');
  const b = h('button', { class: 'primary', type: 'button', id: 'order-acknowledge', text: t('notice.action.acknowledge') });
  b.addEventListener('click', () => busy(ctx, b, async () => {
    await ctx.api.post(`${base}/acknowledge`, {});
    app.ok(t('notice.done.acknowledge'));
    ctx.redraw();
  }, err));
  return h('section', { class: 'card ack-card', id: 'order-ack' },
    h('strong', { text: t('notice.ackTitle') }), h('p', { class: 'muted', text: t('notice.ackNote') }), err, b);
}

/** sosCard lets the order's customer or current worker raise an SOS (Y1). */
export function sosCard(ctx, o, base) {
  const { t, me, app } = ctx;
  const mine = me.role === 'customer' || (me.role === 'worker' && (o.worker_id || o.worker?.id) === me.id);
  if (!mine || !['accepted', 'in_service'].includes(o.status)) return null;
  const text = h('input', { id: 'sos-text', maxlength: 500, placeholder: t('sos.placeholder') });
  const err = h('div');
  const go = h('button', { class: 'danger', type: 'submit', id: 'sos-submit', text: t('sos.confirm') });
  const panel = h('form', { class: 'form panel', hidden: true, onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      await ctx.api.post(`${base}/sos`, { text: text.value.trim() }, { create: true });
      app.ok(t('sos.sent'));
      panel.hidden = true;
    }, err);
  } }, h('label', { class: 'field' }, h('span', { text: t('sos.what') }), text), err, go);
  const open = h('button', { class: 'danger', type: 'button', id: 'order-sos', text: t('sos.button'), onclick: () => { panel.hidden = !panel.hidden; } });
  return h('section', { class: 'card sos-card', id: 'order-sos-card' }, h('p', { class: 'muted small', text: t('sos.note') }), open, panel);
}
