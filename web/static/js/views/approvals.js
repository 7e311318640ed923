// approvals.js: what waits for an operator — time changes inside the platform's window (or left
// unanswered) and cancellations that need approval. Approve or decline in place; it updates live.

import { h } from '../dom.js';
import { emptyItem, busy } from './kit.js';

export async function render(ctx) {
  const { t, i18n, root, app } = ctx;
  const list = h('ul', { class: 'list', id: 'approvals-list' });
  root.append(h('h1', { text: t('approvals.title') }), list);

  const row = async (kind, a) => {
    const base = `/v1/orders/${encodeURIComponent(a.order_id)}`;
    const isTime = kind === 'time';
    const err = h('div');
    const reason = h('input', { class: 'decision-reason', maxlength: 200, placeholder: t('approvals.note') });
    const ok = h('button', { class: 'primary approve', type: 'button', text: t('approvals.approve') });
    const no = h('button', { type: 'button', class: 'decline', text: t('approvals.decline') });
    const path = (yes) => (isTime ? `${base}/time-changes/${encodeURIComponent(a.id)}/${yes ? 'accept' : 'decline'}` : `${base}/cancellation/${yes ? 'approve' : 'decline'}`);
    ok.addEventListener('click', () => busy(ctx, ok, async () => { await ctx.api.post(path(true), isTime ? {} : { reason: reason.value.trim() }); await load(); }, err));
    no.addEventListener('click', () => busy(ctx, no, async () => { await ctx.api.post(path(false), { reason: reason.value.trim() }); await load(); }, err));
    let order = null;
    try { order = await ctx.api.get(base); } catch { /* shown without details */ }
    const who = await app.person(a.requester_id);
    return h('li', { class: 'card approval', dataset: { type: isTime ? 'time_change' : 'cancellation', order: a.order_id, id: a.id } },
      h('div', { class: 'row between' }, h('strong', { text: t(isTime ? 'approvals.timeChange' : 'approvals.cancellation') }),
        h('span', { class: 'muted', text: order ? i18n.text(order.item?.name) : '' })),
      order ? h('p', { class: 'muted small', text: `${order.address} · ${order.customer?.name || ''}` }) : null,
      isTime ? h('p', { class: 'change-times', text: t('order.changeFromTo', { from: i18n.time(a.old_time), to: i18n.time(a.new_time) }) })
        : h('p', { text: a.refund_cents > 0 ? `${t('order.refund')}: ${i18n.money(a.refund_cents)} · ${i18n.label('policy', a.policy)}` : t('order.noRefund') }),
      a.reason ? h('p', { class: 'muted', text: `${t('common.reason')}: ${a.reason}` }) : null,
      who ? h('p', { class: 'muted small', text: t('order.changeBy', { name: who.name }) }) : null,
      reason, err, h('div', { class: 'row gap' }, ok, no, h('a', { class: 'link', href: `#/orders/${encodeURIComponent(a.order_id)}`, text: t('approvals.open') })));
  };

  async function load() {
    const res = await ctx.api.get('/v1/approvals');
    const rows = await Promise.all([...(res.time_changes || []).map((a) => row('time', a)), ...(res.cancellations || []).map((a) => row('cancel', a))]);
    if (!ctx.current()) return;
    list.replaceChildren(...(rows.length ? rows : [emptyItem(t('approvals.empty'))]));
  }
  ctx.on('any', () => load().catch(() => {}));
  await load();
}
