// open.js: a worker sees bookings nobody has accepted yet and accepts one.

import { h } from '../dom.js';
import { orderCard, items, emptyItem, busy } from './kit.js';

export async function render(ctx) {
  const { t, root } = ctx;
  const list = h('ul', { class: 'list orders', id: 'open-list' });
  root.append(h('h1', { text: t('orders.openTitle') }), list);
  const load = async () => {
    const os = items(await ctx.api.get('/v1/orders/open'));
    const cards = await Promise.all(os.map((o) => {
      const btn = h('button', { class: 'primary accept', type: 'button', dataset: { order: o.id }, text: t('orders.accept') });
      const err = h('div');
      btn.addEventListener('click', () => busy(ctx, btn, async () => {
        await ctx.api.post(`/v1/orders/${encodeURIComponent(o.id)}/accept`);
        ctx.app.toast(t('orders.accepted'), 'ok');
        location.hash = `#/orders/${encodeURIComponent(o.id)}`;
      }, err));
      return orderCard(ctx, o, h('div', { class: 'card-actions' }, err, btn));
    }));
    if (!ctx.current()) return;
    list.replaceChildren(...(cards.length ? cards : [emptyItem(t('orders.openEmpty'))]));
  };
  ctx.on('any', () => load().catch(() => {}));
  // New bookings are not personal events, so the list also refreshes every few seconds.
  const timer = setInterval(() => { if (ctx.current()) load().catch(() => {}); else clearInterval(timer); }, 3000);
  await load();
}
