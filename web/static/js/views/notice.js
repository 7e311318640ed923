// notice.js: what a notice asks its reader to do, as buttons (Y2) — accept or decline a time
// change, approve or decline a cancellation, acknowledge ("收到"), take an SOS — run through
// POST /v1/me/inbox/{id}/actions/{type} with the app's own rules. An out-of-date notice answers
// notice_stale, shown translated; nothing changes then.

import { h } from '../dom.js';
import { busy } from './kit.js';

/** BUTTONS are the actions a notice can run in place; others (review, reply) open their page. */
export const BUTTONS = ['accept_time_change', 'decline_time_change', 'approve_cancellation', 'decline_cancellation', 'acknowledge', 'acknowledge_sos'];

/** needsAck reports whether a notice still waits for this person's acknowledgement. */
export function needsAck(n) { return Boolean(n.data?.ack_required) && !n.data?.acknowledged_at; }

/** noticeActions renders n's runnable actions; after() runs once one succeeded. */
export function noticeActions(ctx, n, after) {
  const { t, app } = ctx;
  const done = n.data?.done_action;
  const acts = done ? [] : (n.data?.actions || []).filter((a) => BUTTONS.includes(a.type) && (a.type !== 'acknowledge' || needsAck(n)));
  const parts = [];
  if (done) parts.push(h('span', { class: 'status status-done', text: t(`notice.done.${done}`) }));
  else if (n.data?.ack_required && n.data?.acknowledged_at) parts.push(h('span', { class: 'status status-acknowledged', text: t('notice.acknowledged') }));
  if (!acts.length && !parts.length) return null;
  const err = h('div');
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
  box.addEventListener('keydown', (ev) => ev.stopPropagation());
  return h('div', { class: 'notice-actions-wrap' }, box, err);
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
