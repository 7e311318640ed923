// campaign.js: one campaign's detail — a promotion's period, items and rules, or a new service's
// page (its features, advantages and when it fits). Customers reach it from the message center
// (only campaigns shown to them); operators also see its stats.

import { h } from '../dom.js';
import { sectionTitle } from './kit.js';

export async function render(ctx) {
  const { t, i18n, root, params } = ctx;
  const c = await ctx.api.get(`/v1/campaigns/${encodeURIComponent(params.id)}`);
  if (!ctx.current()) return;
  ctx.app.refreshUnread();
  const card = h('article', { class: 'card campaign-detail', id: 'campaign-detail', dataset: { kind: c.kind, status: c.status } },
    h('div', { class: 'muted small', text: `${t('cat.platform')} · ${t(`campaign.kind.${c.kind}`)}` }),
    h('h1', { text: i18n.text(c.title) }),
    h('span', { class: `status status-${c.status}`, id: 'campaign-status', text: t(`campaign.status.${c.status}`) }),
    c.image_file_id ? h('img', { class: 'campaign-image', alt: i18n.text(c.title),
      src: `/v1/files/${encodeURIComponent(c.image_file_id)}?access_token=${encodeURIComponent(ctx.api.token)}` }) : null,
    h('p', { class: 'note-body', text: i18n.text(c.body) }));
  if (c.starts_at || c.ends_at) {
    card.append(h('p', { id: 'campaign-period' }, h('strong', { text: i18n.pair(t('campaign.period'), '') }),
      `${i18n.time(c.starts_at || c.send_at)} – ${i18n.time(c.ends_at)}`));
  }
  const rules = i18n.text(c.rules_text);
  if (rules) card.append(h('p', { class: 'rules', id: 'campaign-rules' }, h('strong', { text: i18n.pair(t('campaign.rules'), '') }), rules));
  root.append(card);
  for (const it of c.items || []) {
    const sec = h('section', { class: 'card service-page', dataset: { item: it.id } }, sectionTitle(i18n.text(it.name)),
      it.description ? h('p', { text: i18n.text(it.description) }) : null,
      h('p', { class: 'muted small', text: `${i18n.money(it.price_cents)} · ${t('book.duration', { n: it.duration_minutes })}` }));
    for (const k of ['features', 'advantages', 'suits']) {
      const v = i18n.text(it[k]);
      if (v) sec.append(h('div', { class: `service-${k}` }, h('strong', { text: t(`service.${k}`) }), h('p', { text: v })));
    }
    if (ctx.me.role === 'customer') sec.append(h('a', { class: 'button primary', href: '#/book', text: t('service.book') }));
    root.append(sec);
  }
  if (c.stats) {
    root.append(h('section', { class: 'card', id: 'campaign-stats' }, sectionTitle(t('campaign.stats')),
      h('div', { class: 'stats' }, Object.entries(c.stats).map(([k, v]) => h('span', { class: 'stat', dataset: { stat: k } },
        h('span', { class: 'muted', text: t(`campaign.stat.${k}`) }), h('strong', { text: String(v) }))))));
  }
}
