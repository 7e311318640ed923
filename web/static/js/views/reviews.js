// reviews.js: "我的评价 / My reviews" for workers (I2) — the reviews of their orders, newest first,
// their rating, and a reply (or an edit within 24 h) under each. New reviews and hidden ones
// arrive live.

import { h } from '../dom.js';
import { qs } from '../api.js';
import { emptyItem, items } from './kit.js';
import { reviewBody, replyForm, ratingBadge } from './review.js';

export async function render(ctx) {
  const { t, i18n, root, me } = ctx;
  const summary = h('p', { class: 'muted', id: 'my-rating' });
  const list = h('ul', { class: 'list reviews', id: 'reviews-list' });
  const more = h('button', { type: 'button', class: 'link more', hidden: true, text: t('common.more') });
  const err = h('div');
  root.append(h('h1', { text: t('reviews.title') }), summary, err, list, more);
  let cursor = '';

  const row = (r) => {
    const base = `/v1/orders/${encodeURIComponent(r.order_id)}`;
    return h('li', { class: 'card review-card', dataset: { review: r.id, order: r.order_id } },
      h('a', { class: 'order-item', href: `#/orders/${encodeURIComponent(r.order_id)}`, text: i18n.text(r.item?.name) || t('order.title') }),
      ...reviewBody(ctx, r),
      r.can_reply ? replyForm(ctx, r, base, () => load()) : null);
  };

  async function load(append = false) {
    try {
      const [res, p] = await Promise.all([
        ctx.api.get(`/v1/me/reviews${qs({ cursor: append ? cursor : '', limit: 20 })}`),
        append ? null : ctx.api.get(`/v1/people/${encodeURIComponent(me.id)}`).catch(() => null),
      ]);
      if (!ctx.current()) return;
      err.replaceChildren();
      // Keep what the worker is typing across live reloads.
      const typed = {};
      for (const el of list.querySelectorAll('textarea')) typed[el.id] = el.value;
      const rows = items(res).map(row);
      if (append) list.append(...rows); else list.replaceChildren(...(rows.length ? rows : [emptyItem(t('reviews.empty'))]));
      for (const [id, v] of Object.entries(typed)) { const el = list.querySelector(`#${CSS.escape(id)}`); if (el) el.value = v; }
      cursor = res.next_cursor || '';
      more.hidden = !cursor;
      if (p) summary.replaceChildren(ratingBadge(ctx, p.rating) || '');
    } catch (e) { err.replaceChildren(ctx.app.problem(e)); }
  }
  more.addEventListener('click', () => load(true));
  ctx.on('notification.created', (ev) => {
    const kind = ev.data?.notification?.kind || '';
    if (kind.startsWith('review.')) load();
  });
  ctx.on('review.changed', () => load());
  await load();
}
