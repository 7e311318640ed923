// orders.js: my orders (customer), my schedule (worker), and for operators the order console
// (console.js) with bulk cancellation.

import { h, field } from '../dom.js';
import { qs } from '../api.js';
import { orderCard, items, emptyItem, busy, toLocalInput, fromLocalInput } from './kit.js';
import { watchedSection } from './household.js';
import { renderConsole } from './console.js';

const STATUSES = ['pending', 'accepted', 'in_service', 'completed', 'cancelled'];

export async function render(ctx) {
  const { t, root, me } = ctx;
  if (me.role === 'operator') return renderConsole(ctx, bulkForm(ctx));
  const title = me.role === 'worker' ? 'orders.scheduleTitle' : 'orders.title';
  // Status tabs with counts. Orders still to come are listed soonest first; 全部 and the ended
  // ones latest appointment first. A worker's schedule opens on what they have accepted; pages
  // follow the cursor.
  const sortOf = (st) => (['pending', 'accepted', 'in_service'].includes(st) ? 'appointment' : '-appointment');
  let status = me.role === 'worker' ? 'accepted' : '';
  let cursor = '';
  const list = h('ul', { class: 'list orders', id: 'orders-list' });
  const more = h('button', { type: 'button', class: 'link more', id: 'orders-more', hidden: true, text: t('common.more') });
  const tabs = h('div', { class: 'status-tabs', id: 'orders-tabs', role: 'group', 'aria-label': t('order.status') },
    ['', ...STATUSES].map((st) => h('button', { type: 'button', class: 'status-tab', dataset: { status: st }, 'aria-pressed': String(st === status),
      onclick: () => { status = st; load().catch(() => {}); } },
    h('span', { text: st ? t(`status.${st}`) : t('console.all') }), ' ', h('span', { class: 'tab-count', dataset: { count: '' } }))));
  root.append(h('h1', { text: t(title) }), tabs, list, more);
  // The orders this customer follows for a family member (Y5), under their own.
  const watched = h('div', { id: 'watched-slot' });
  if (me.role === 'customer') root.append(watched);
  const load = async (next = false) => {
    const res = await ctx.api.get(`/v1/orders${qs({ status, sort: sortOf(status), counts: 'true', limit: 20, cursor: next ? cursor : '' })}`);
    const cards = await Promise.all(items(res).map((o) => orderCard(ctx, o)));
    const w = me.role === 'customer' && !next ? await watchedSection(ctx) : null;
    if (!ctx.current()) return;
    if (!next) watched.replaceChildren(...(w ? [w] : []));
    const counts = res.counts || {};
    let total = 0;
    for (const st of STATUSES) total += Number(counts[st] || 0);
    for (const b of tabs.querySelectorAll('.status-tab')) {
      const st = b.dataset.status;
      const n = st ? Number(counts[st] || 0) : total;
      const c = b.querySelector('.tab-count');
      c.textContent = String(n); c.dataset.count = String(n);
      b.setAttribute('aria-pressed', String(st === status));
      b.hidden = Boolean(st) && n === 0 && st !== status; // only the statuses this person has
    }
    cursor = res.next_cursor || '';
    more.hidden = !cursor;
    if (next) list.append(...cards);
    else list.replaceChildren(...(cards.length ? cards : [emptyItem(t(status ? 'orders.emptyStatus' : `orders.empty.${me.role}`))]));
  };
  more.addEventListener('click', () => busy(ctx, more, () => load(true)));
  ctx.on('any', () => load().catch(() => {}));
  await load();
}

function bulkForm(ctx) {
  const { t } = ctx;
  const now = new Date();
  const area = h('input', { id: 'bulk-area', required: true, placeholder: '浦东新区' });
  const from = h('input', { id: 'bulk-from', type: 'datetime-local', required: true, value: toLocalInput(now) });
  const to = h('input', { id: 'bulk-to', type: 'datetime-local', required: true, value: toLocalInput(new Date(now.getTime() + 2 * 86400000)) });
  const reason = h('input', { id: 'bulk-reason', required: true, maxlength: 200, placeholder: '台风预警' });
  const out = h('div', { id: 'bulk-out', 'aria-live': 'polite' });
  const submit = h('button', { class: 'danger', type: 'submit', id: 'bulk-submit', text: t('bulk.submit') });
  const range = () => ({ area: area.value.trim(), from: fromLocalInput(from.value), to: fromLocalInput(to.value) });
  // Step two: the orders it would cancel, counted, before anything is sent.
  const confirmStep = (req, p) => {
    if (!p.count) {
      out.replaceChildren(h('p', { class: 'muted', id: 'bulk-preview', text: t('bulk.none', { k: p.skipped }) }));
      return;
    }
    const back = h('button', { type: 'button', id: 'bulk-back', text: t('bulk.back'), onclick: () => { out.replaceChildren(); submit.hidden = false; } });
    const go = h('button', { type: 'button', class: 'danger', id: 'bulk-confirm', text: t('bulk.confirmN', { n: p.count }) });
    go.onclick = () => busy(ctx, go, async () => {
      const res = await ctx.api.post('/v1/orders/cancel-bulk', { ...req, reason: reason.value.trim() }, { create: true });
      const n = Array.isArray(res?.cancelled) ? res.cancelled.length : (res?.cancelled ?? 0);
      submit.hidden = false;
      out.replaceChildren(h('p', { class: 'ok', text: t('bulk.done', { n }) }));
    }, out);
    const rows = p.orders.map((o) => h('li', { 'data-order': o.id },
      h('span', { text: ctx.i18n.time(o.appointment_at) }), ' · ', h('span', { text: o.address }), ' · ',
      h('span', { class: 'muted', text: t(`status.${o.status}`) })));
    submit.hidden = true;
    out.replaceChildren(h('div', { class: 'card', id: 'bulk-preview', role: 'region', 'aria-label': t('bulk.previewTitle') },
      h('p', { id: 'bulk-count', 'data-count': String(p.count), text: t('bulk.preview', { n: p.count, k: p.skipped }) }),
      h('ul', { class: 'list', id: 'bulk-orders' }, ...rows),
      p.count > p.orders.length ? h('p', { class: 'muted small', text: t('bulk.previewMore', { n: p.orders.length }) }) : '',
      h('div', { class: 'actions' }, back, go)));
    go.focus();
  };
  const form = h('form', { class: 'form', id: 'bulk-form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, submit, async () => {
      const req = range();
      const q = new URLSearchParams(req).toString();
      confirmStep(req, await ctx.api.get('/v1/orders/cancel-bulk/preview?' + q));
    }, out);
  } }, field(t('bulk.area'), area), field(t('bulk.from'), from), field(t('bulk.to'), to), field(t('common.reason'), reason), out, submit);
  // Changing the range or the reason asks for a new preview.
  form.addEventListener('input', () => { if (submit.hidden) { out.replaceChildren(); submit.hidden = false; } });
  return h('details', { class: 'card', id: 'bulk' }, h('summary', { id: 'bulk-form-toggle', text: t('bulk.title') }), form);
}
