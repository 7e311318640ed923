// kit.js holds pieces several views share: order cards, status chips, small forms.

import { h, avatar } from '../dom.js';

/** itemOf finds the service item of an order, whatever shape the server sends. */
export async function itemName(ctx, o) {
  if (o.item && typeof o.item === 'object' && o.item.name) return ctx.i18n.text(o.item.name);
  if (o.service_item?.name) return ctx.i18n.text(o.service_item.name);
  if (o.item_name) return ctx.i18n.text(o.item_name);
  const items = await ctx.app.catalogue().catch(() => new Map());
  const it = items.get(o.service_item_id || o.item_id || o.item);
  return it ? ctx.i18n.text(it.name) : (o.service_item_id || '');
}

/** workerOf returns the order's worker card (embedded or looked up). */
export async function workerOf(ctx, o) {
  if (o.worker && typeof o.worker === 'object') return o.worker;
  const id = o.worker_id || (typeof o.worker === 'string' ? o.worker : '');
  return id ? ctx.app.person(id) : null;
}

export async function customerOf(ctx, o) {
  if (o.customer && typeof o.customer === 'object') return o.customer;
  const id = o.customer_id || (typeof o.customer === 'string' ? o.customer : '');
  return id ? ctx.app.person(id) : null;
}

export function statusChip(ctx, status) {
  return h('span', { class: `status status-${status}`, dataset: { status }, text: ctx.i18n.label('status', status) });
}

export function apptOf(o) { return o.appointment_at || o.appointment || o.scheduled_at; }
export function amountOf(o) { return o.amount_paid_cents ?? o.amount_cents ?? o.price_cents; }

/** orderCard is one order in a list; extra is appended (e.g. an accept button). */
export async function orderCard(ctx, o, extra) {
  const [name, worker] = await Promise.all([itemName(ctx, o), workerOf(ctx, o)]);
  return h('li', { class: 'card order-card', dataset: { order: o.id, status: o.status } },
    h('a', { class: 'order-link', href: `#/orders/${encodeURIComponent(o.id)}` },
      h('div', { class: 'row between' }, h('strong', { class: 'order-item', text: name }), statusChip(ctx, o.status)),
      h('div', { class: 'muted order-time', text: ctx.i18n.time(apptOf(o)) }),
      o.address ? h('div', { class: 'muted order-address', text: o.address }) : null,
      worker ? h('div', { class: 'row worker-mini' }, avatar(worker, 'xs'), h('span', { text: worker.name })) : null),
    extra || null);
}

/** toLocalInput turns an ISO time into the value of an <input type=datetime-local>. */
export function toLocalInput(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** fromLocalInput turns a datetime-local value into an RFC 3339 time. */
export function fromLocalInput(v) {
  const d = new Date(v);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString();
}

/**
 * busy disables a button while fn runs and shows errors in place (translated, see app.errText),
 * or as an error toast when there is no errorBox. A failed request never leaves a success toast
 * on screen: the current toast goes first.
 */
export async function busy(ctx, button, fn, errorBox, errOpts) {
  button.disabled = true;
  if (errorBox) errorBox.replaceChildren();
  try { return await fn(); } catch (e) {
    ctx.app.clearToast();
    if (errorBox) errorBox.append(ctx.app.problem(e, errOpts)); else ctx.app.fail(e, errOpts);
    return undefined;
  } finally { button.disabled = false; }
}

export function sectionTitle(text) { return h('h2', { class: 'section-title', text }); }

export function emptyState(text) { return h('p', { class: 'empty muted', text }); }

/** emptyItem is emptyState as a list item, for a <ul>/<ol> that has nothing to show. */
export function emptyItem(text) { return h('li', { class: 'empty muted', text }); }

/** items unwraps a list envelope ({items}) or a bare array. */
export function items(res) { return Array.isArray(res) ? res : (res?.items || []); }
