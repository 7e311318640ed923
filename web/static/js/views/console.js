// console.js: the operators' order console (issue 15) — every order as a dense table with status
// tabs and their counts, search (order id, customer, worker, address), filters (service item,
// area, appointment dates), sort by appointment and cursor paging. What is chosen lives in the
// URL (#/orders?status=…&q=…), so the order page's "back" returns to the same view. The table
// refreshes live; on a phone its rows fold into cards.

import { h, field } from '../dom.js';
import { qs } from '../api.js';
import { statusChip, apptOf, amountOf, items } from './kit.js';

const STATUSES = ['pending', 'accepted', 'in_service', 'completed', 'cancelled'];
const SORTS = ['-created', 'appointment', '-appointment'];
const PAGE = 20;
const POLL_MS = 5000;

/** state reads the console's choices from the URL's query (#/orders?…). */
function readState() {
  const p = new URLSearchParams(location.hash.split('?')[1] || '');
  const s = {};
  for (const k of ['status', 'q', 'item', 'area', 'from', 'to', 'sort']) s[k] = p.get(k) || '';
  if (!STATUSES.includes(s.status)) s.status = '';
  if (!SORTS.includes(s.sort)) s.sort = '';
  return s;
}

/** writeState puts the choices in the URL without a navigation (no hashchange, no reload). */
function writeState(app, s) {
  const q = qs(Object.fromEntries(Object.entries(s).filter(([, v]) => v)));
  history.replaceState(null, '', `#/orders${q}`);
  app.ordersHref = `#/orders${q}`; // the order page's "back" returns here
}

/** dayStart is the RFC 3339 time of a date input's day starting, in the browser's zone. */
function dayStart(v, plusDays = 0) {
  if (!v) return '';
  const [y, m, d] = v.split('-').map(Number);
  const t = new Date(y, m - 1, d + plusDays);
  return Number.isNaN(t.getTime()) ? '' : t.toISOString();
}

export async function renderConsole(ctx, head) {
  const { t, i18n, root, app } = ctx;
  root.classList.add('wide');
  const st = readState();
  const catalogue = await app.catalogue().catch(() => new Map());

  // Toolbar: search, service item, area, appointment dates, reset.
  const q = h('input', { id: 'console-q', type: 'search', value: st.q, maxlength: 100, placeholder: t('console.searchPh'), autocomplete: 'off' });
  const item = h('select', { id: 'console-item' }, h('option', { value: '', text: t('console.anyItem') }),
    [...catalogue.values()].map((it) => h('option', { value: it.id, text: i18n.text(it.name), selected: it.id === st.item })));
  const area = h('input', { id: 'console-area', value: st.area, maxlength: 100, placeholder: t('console.areaPh'), list: 'console-areas', autocomplete: 'off' });
  const areas = h('datalist', { id: 'console-areas' });
  const from = h('input', { id: 'console-from', type: 'date', value: st.from });
  const to = h('input', { id: 'console-to', type: 'date', value: st.to });
  const reset = h('button', { type: 'button', id: 'console-reset', class: 'link', text: t('console.reset') });
  const toolbar = h('form', { class: 'console-filters', id: 'console-filters', role: 'search', 'aria-label': t('console.filters'),
    onsubmit: (ev) => { ev.preventDefault(); apply(); } },
  field(t('console.search'), q), field(t('order.item'), item), field(t('bulk.area'), area), areas,
  field(t('console.from'), from), field(t('console.to'), to),
  h('div', { class: 'console-filter-actions' }, h('button', { type: 'submit', class: 'primary', id: 'console-apply', text: t('console.apply') }), reset));

  // Status tabs with counts (the counts follow the search and filters, not the tab).
  const tabs = h('div', { class: 'status-tabs', id: 'console-tabs', role: 'group', 'aria-label': t('order.status') });
  const tab = (status) => h('button', { type: 'button', class: 'status-tab', dataset: { status }, 'aria-pressed': String(st.status === status),
    onclick: () => { st.status = status; go(); } },
  h('span', { text: status ? t(`status.${status}`) : t('console.all') }), ' ', h('span', { class: 'tab-count', dataset: { count: '' } }));
  tabs.append(tab(''), ...STATUSES.map(tab));

  const summary = h('p', { class: 'muted small', id: 'console-summary', 'aria-live': 'polite' });
  const tbody = h('tbody', { id: 'console-rows' });
  const sortBtn = h('button', { type: 'button', class: 'link sort', id: 'console-sort-appt', onclick: () => {
    st.sort = st.sort === 'appointment' ? '-appointment' : 'appointment';
    go();
  } });
  const apptTh = h('th', { scope: 'col', id: 'console-th-appt' }, sortBtn);
  const table = h('table', { class: 'console-table', id: 'console-table' },
    h('caption', { class: 'sr-only', text: t('orders.allTitle') }),
    h('thead', null, h('tr', null,
      h('th', { scope: 'col', text: t('console.order') }), h('th', { scope: 'col', text: t('order.item') }), apptTh,
      h('th', { scope: 'col', text: t('order.customer') }), h('th', { scope: 'col', text: t('order.worker') }),
      h('th', { scope: 'col', text: t('order.address') }), h('th', { scope: 'col', text: t('bulk.area') }),
      h('th', { scope: 'col', text: t('order.status') }), h('th', { scope: 'col', class: 'num', text: t('order.amount') }))),
    tbody);
  const prev = h('button', { type: 'button', id: 'console-prev', text: t('console.prev') });
  const next = h('button', { type: 'button', id: 'console-next', text: t('console.next') });
  const pageNo = h('span', { class: 'muted small', id: 'console-page' });
  const pager = h('nav', { class: 'row gap pager', 'aria-label': t('console.pages') }, prev, pageNo, next);
  const err = h('div');

  root.append(h('div', { class: 'row between wrap' }, h('h1', { text: t('orders.allTitle') })), head || '', toolbar, tabs, summary, err,
    h('div', { class: 'table-wrap' }, table), pager);

  // Pages: the cursors that opened each page so far (page 1 has none).
  let cursors = [''];
  let nextCursor = '';
  let seq = 0;
  let shown = ''; // what the table shows, so a refresh that changes nothing redraws nothing

  function read() {
    st.q = q.value.trim(); st.item = item.value; st.area = area.value.trim(); st.from = from.value; st.to = to.value;
  }
  function apply() { read(); go(); }
  function go() { cursors = ['']; load().catch(() => {}); }
  reset.addEventListener('click', () => {
    q.value = ''; item.value = ''; area.value = ''; from.value = ''; to.value = '';
    st.status = ''; st.sort = '';
    apply();
  });
  for (const el of [item, from, to]) el.addEventListener('change', apply);
  prev.addEventListener('click', () => { if (cursors.length > 1) { cursors.pop(); load().catch(() => {}); } });
  next.addEventListener('click', () => { if (nextCursor) { cursors.push(nextCursor); load().catch(() => {}); } });

  async function load() {
    const mine = ++seq;
    writeState(app, st);
    const params = {
      status: st.status, q: st.q, service_item_id: st.item, area: st.area, from: dayStart(st.from), to: dayStart(st.to, 1),
      sort: st.sort, cursor: cursors[cursors.length - 1], limit: PAGE, counts: 'true',
    };
    let res;
    try {
      res = await ctx.api.get(`/v1/orders${qs(params)}`);
    } catch (e) {
      if (mine === seq && ctx.current()) err.replaceChildren(app.problem(e, { fields: { q: t('console.search'), area: t('bulk.area'), from: t('console.from'), to: t('console.to') } }));
      return;
    }
    if (mine !== seq || !ctx.current()) return;
    err.replaceChildren();
    const list = items(res);
    nextCursor = res.next_cursor || '';
    const counts = res.counts || {};
    let total = 0;
    for (const s of STATUSES) total += Number(counts[s] || 0);
    for (const b of tabs.querySelectorAll('.status-tab')) {
      const s = b.dataset.status;
      const n = s ? Number(counts[s] || 0) : total;
      const c = b.querySelector('.tab-count');
      c.textContent = String(n);
      c.dataset.count = String(n);
      b.setAttribute('aria-pressed', String(st.status === s));
    }
    const dir = st.sort === 'appointment' ? 'ascending' : st.sort === '-appointment' ? 'descending' : 'none';
    apptTh.setAttribute('aria-sort', dir);
    sortBtn.textContent = `${t('order.time')} ${dir === 'ascending' ? '↑' : dir === 'descending' ? '↓' : '↕'}`;
    sortBtn.setAttribute('aria-label', t(dir === 'ascending' ? 'console.sortDesc' : 'console.sortAsc'));
    for (const a of new Set(list.map((o) => o.area).filter(Boolean))) {
      if (![...areas.options].some((x) => x.value === a)) areas.append(h('option', { value: a }));
    }
    const sig = JSON.stringify([i18n.locale, st, list.map((o) => [o.id, o.status, o.worker_id, o.appointment_at, o.address])]);
    if (sig !== shown) tbody.replaceChildren(...(list.length ? list.map((o) => row(ctx, o)) : [h('tr', { class: 'empty-row' },
      h('td', { colspan: 9, class: 'empty muted', text: t(st.q || st.item || st.area || st.from || st.to || st.status ? 'console.noMatch' : 'orders.empty') }))]));
    shown = sig;
    const n = st.status ? Number(counts[st.status] || 0) : total;
    summary.textContent = t('console.summary', { n });
    summary.dataset.count = String(n);
    pageNo.textContent = t('console.page', { n: cursors.length });
    prev.disabled = cursors.length <= 1;
    next.disabled = !nextCursor;
  }

  // Live: what the operator is told of shows up at once (at most once a second); new bookings,
  // which tell workers rather than operators, within POLL_MS while the page is in view.
  let timer = 0;
  const soon = (ms) => {
    if (timer) return;
    timer = setTimeout(() => { timer = 0; if (app.me && ctx.current() && document.visibilityState !== 'hidden') load().catch(() => {}); }, ms);
  };
  ctx.on('any', () => soon(1000));
  const poll = setInterval(() => soon(0), POLL_MS);
  app.cleanup.push(() => { clearInterval(poll); clearTimeout(timer); });
  await load();
}

/** row is one order in the console's table; the order id opens its page. */
function row(ctx, o) {
  const { t, i18n } = ctx;
  const href = `#/orders/${encodeURIComponent(o.id)}`;
  const cell = (label, ...kids) => h('td', { 'data-label': label }, ...kids);
  return h('tr', { class: 'console-row', dataset: { order: o.id, status: o.status, at: apptOf(o) || '', item: o.service_item_id || o.item?.id || '', area: o.area || '' } },
    cell(t('console.order'), h('a', { class: 'order-id', href, title: o.id, text: o.id.slice(-8) })),
    cell(t('order.item'), h('a', { href, text: i18n.text(o.item?.name) || o.service_item_id })),
    cell(t('order.time'), h('span', { class: 'appt', text: i18n.time(apptOf(o)) })),
    cell(t('order.customer'), o.customer?.name || o.customer_id),
    cell(t('order.worker'), o.worker?.name || h('span', { class: 'muted', text: t('order.noWorker') })),
    cell(t('order.address'), h('span', { class: 'addr', text: o.address })),
    cell(t('bulk.area'), o.area || ''),
    cell(t('order.status'), statusChip(ctx, o.status)),
    h('td', { class: 'num', 'data-label': t('order.amount'), text: i18n.money(amountOf(o)) }));
}
