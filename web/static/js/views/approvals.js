// approvals.js: what waits for an operator — time changes inside the platform's window (or left
// unanswered), cancellations that need approval, customers' requests for another worker, and
// visits in trouble (a worker not on the way at the appointment, start codes used up: Y4).
// Each card has what is needed to decide (service, appointment, address, customer, worker, who
// asks and why) and the decision itself; the list updates live and the menu shows the count.

import { h, field } from '../dom.js';
import { emptyItem, busy, items } from './kit.js';

export async function render(ctx) {
  const { t, i18n, root, app } = ctx;
  const list = h('ul', { class: 'list approvals', id: 'approvals-list' });
  const count = h('span', { class: 'muted count', id: 'approvals-count' });
  root.append(h('div', { class: 'row between' }, h('h1', { text: t('approvals.title') }), count), list);
  let workers = null;

  const row = async (kind, a) => {
    const base = `/v1/orders/${encodeURIComponent(a.order_id)}`;
    const err = h('div');
    let order = null;
    try { order = await ctx.api.get(base); } catch { /* shown without details */ }
    const who = await app.person(a.requester_id);
    const facts = order ? [
      [t('order.time'), i18n.time(order.appointment_at)], [t('order.address'), order.address],
      [t('order.customer'), order.customer?.name], [t('order.worker'), order.worker?.name || t('order.noWorker')],
    ].filter(([, v]) => v) : [];
    const note = h('input', { class: 'decision-reason', maxlength: 200, 'aria-label': t('approvals.note'), placeholder: t('approvals.note') });
    let what; let decide;
    if (kind === 'time') {
      what = h('p', { class: 'change-times', text: t('order.changeFromTo', { from: i18n.time(a.old_time), to: i18n.time(a.new_time) }) });
      const url = (yes) => `${base}/time-changes/${encodeURIComponent(a.id)}/${yes ? 'accept' : 'decline'}`;
      decide = buttons(ctx, err, note, (yes) => ctx.api.post(url(yes), yes ? {} : { reason: note.value.trim() }), load);
    } else if (kind === 'cancel') {
      what = h('p', { text: a.refund_cents > 0 ? `${i18n.pair(t('order.refund'), i18n.money(a.refund_cents))} · ${i18n.label('policy', a.policy)}` : t('order.noRefund') });
      decide = buttons(ctx, err, note, (yes) => ctx.api.post(`${base}/cancellation/${yes ? 'approve' : 'decline'}`, { reason: note.value.trim() }), load);
    } else {
      what = h('p', { text: t('approvals.workerChangeWhat') });
      const sel = h('select', { class: 'assign-worker', required: true });
      if (!workers) workers = ctx.api.get('/v1/people?role=worker&limit=200').then(items).catch(() => []);
      const ws = (await workers).filter((w) => w.id !== order?.worker_id);
      sel.append(h('option', { value: '', text: t('order.pickWorker') }), ...ws.map((w) => h('option', { value: w.id, text: `${w.name}${w.area ? ` · ${w.area}` : ''}` })));
      const go = h('button', { class: 'primary reassign', type: 'button', text: t('order.reassign') });
      go.addEventListener('click', () => {
        if (!sel.value) { err.replaceChildren(h('p', { class: 'field-error', text: t('order.pickWorker') })); return; }
        busy(ctx, go, async () => {
          await ctx.api.post(`${base}/assign`, { worker_id: sel.value, reason: note.value.trim() || a.reason || '' });
          app.ok(t('order.reassigned'));
          await load();
        }, err);
      });
      decide = h('div', { class: 'form' }, field(t('order.pickWorker'), sel), note, err, h('div', { class: 'row gap' }, go,
        h('a', { class: 'link', href: `#/orders/${encodeURIComponent(a.order_id)}`, text: t('approvals.open') })));
    }
    const type = { time: 'time_change', cancel: 'cancellation', worker: 'worker_change' }[kind];
    return h('li', { class: `card approval approval-${type}`, dataset: { type, order: a.order_id, id: a.id } },
      h('div', { class: 'row between' }, h('strong', { text: t(`approvals.${type}`) }),
        h('span', { class: 'muted small', text: i18n.time(a.created_at) })),
      h('p', { class: 'approval-item' }, h('strong', { text: order ? i18n.text(order.item?.name) : a.order_id })),
      facts.length ? h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])) : null,
      what,
      a.reason ? h('p', { class: 'muted', text: t('common.reasonIs', { reason: a.reason }) }) : null,
      who ? h('p', { class: 'muted small', text: t('order.changeBy', { name: who.name }) }) : null,
      kind === 'worker' ? decide : h('div', { class: 'form' }, note, err, decide,
        h('a', { class: 'link', href: `#/orders/${encodeURIComponent(a.order_id)}`, text: t('approvals.open') })));
  };

  async function load() {
    const res = await ctx.api.get('/v1/approvals');
    const rows = await Promise.all([
      ...(res.worker_changes || []).map((a) => row('worker', a)),
      ...(res.time_changes || []).map((a) => row('time', a)),
      ...(res.cancellations || []).map((a) => row('cancel', a)),
      ...(res.visits || []).map((a) => visitRow(ctx, a))]);
    if (!ctx.current()) return;
    count.textContent = rows.length ? t('approvals.count', { n: rows.length }) : '';
    list.replaceChildren(...(rows.length ? rows : [emptyItem(t('approvals.empty'))]));
    app.setApprovals?.(rows.length);
  }
  ctx.on('any', () => load().catch(() => {}));
  await load();
}

/**
 * visitRow is an order whose worker had not set out at the appointment, or used up the start
 * codes (Y4): the operator opens the order to reassign it, move it or start it by override.
 */
function visitRow(ctx, a) {
  const { t, i18n } = ctx;
  const facts = [[t('order.time'), i18n.time(a.appointment_at)], [t('order.address'), a.address], [t('order.worker'), a.worker_name]].filter(([, v]) => v);
  return h('li', { class: 'card approval approval-visit', dataset: { type: 'visit', order: a.order_id, reason: a.reason } },
    h('div', { class: 'row between' }, h('strong', { text: t('approvals.visits') }),
      h('span', { class: 'warn small', text: t(`approvals.visit.${a.reason}`) })),
    h('p', { class: 'approval-item' }, h('strong', { text: i18n.text(a.item) || a.order_id })),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])),
    h('a', { class: 'link', href: `#/orders/${encodeURIComponent(a.order_id)}`, text: t('approvals.open') }));
}

/** buttons are approve and decline for a request; done reloads the list. */
function buttons(ctx, err, note, send, done) {
  const { t } = ctx;
  const ok = h('button', { class: 'primary approve', type: 'button', text: t('approvals.approve') });
  const no = h('button', { type: 'button', class: 'decline', text: t('approvals.decline') });
  ok.addEventListener('click', () => busy(ctx, ok, async () => { await send(true); ctx.app.ok(t('approvals.approved')); await done(); }, err));
  no.addEventListener('click', () => busy(ctx, no, async () => { await send(false); ctx.app.ok(t('approvals.declined')); await done(); }, err));
  return h('div', { class: 'row gap' }, ok, no);
}
