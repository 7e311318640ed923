// inbox.js: the message center — sort by time or importance, category filters with unread
// badges, unread only, search, mark one / a category / all read. It updates live.

import { h } from '../dom.js';
import { qs } from '../api.js';
import { emptyItem, busy } from './kit.js';
import { noticeActions } from './notice.js';

const CATS = ['service', 'exception', 'platform', 'interaction'];

export async function render(ctx) {
  const { t, i18n, root, app } = ctx;
  const q = new URLSearchParams(location.hash.split('?')[1] || '');
  const state = { sort: q.get('sort') || 'time', category: q.get('category') || '', unread: q.get('unread') === 'true', q: '', cursor: '' };

  const sortBtns = ['time', 'importance'].map((s) => h('button', { type: 'button', class: 'seg', dataset: { sort: s }, text: t(s === 'time' ? 'inbox.sortTime' : 'inbox.sortImportance'),
    onclick: () => { state.sort = s; load(); } }));
  const chips = [''].concat(CATS).map((c) => h('button', { type: 'button', class: 'chip', dataset: { category: c },
    onclick: () => { state.category = c; load(); } }, h('span', { text: c ? t(`cat.${c}`) : t('inbox.all') }), h('span', { class: 'badge chip-badge', hidden: true })));
  const unreadToggle = h('input', { type: 'checkbox', id: 'inbox-unread', onchange: () => { state.unread = unreadToggle.checked; load(); } });
  const search = h('input', { type: 'search', id: 'inbox-search', placeholder: t('inbox.search'), maxlength: 100 });
  let debounce = 0;
  search.addEventListener('input', () => { clearTimeout(debounce); debounce = setTimeout(() => { state.q = search.value.trim(); load(); }, 250); });
  const markAll = h('button', { type: 'button', class: 'link', id: 'inbox-mark-all', text: t('inbox.markAll') });
  const markCat = h('button', { type: 'button', class: 'link', id: 'inbox-mark-category', text: t('inbox.markCategory') });
  markAll.addEventListener('click', () => busy(ctx, markAll, async () => { await ctx.api.post('/v1/me/inbox/read', { all: true }); await refresh(); }));
  markCat.addEventListener('click', () => busy(ctx, markCat, async () => { await ctx.api.post('/v1/me/inbox/read', { category: state.category }); await refresh(); }));
  const list = h('ul', { class: 'list inbox', id: 'inbox-list' });
  const more = h('button', { type: 'button', class: 'link more', id: 'inbox-more', hidden: true, text: t('common.more'), onclick: () => load(true) });
  const err = h('div');

  root.append(h('h1', { text: t('inbox.title') }),
    h('div', { class: 'toolbar' }, h('div', { class: 'segmented', role: 'group' }, sortBtns),
      h('label', { class: 'check' }, unreadToggle, h('span', { text: t('inbox.unreadOnly') }))),
    h('div', { class: 'chips', id: 'inbox-chips' }, chips), search,
    h('div', { class: 'row between' }, markCat, markAll), err, list, more);

  const paintBadges = () => {
    const u = app.unread || {};
    for (const c of chips) {
      const cat = c.dataset.category;
      const n = Number(cat ? u.by_category?.[cat] || 0 : u.total || 0);
      const b = c.querySelector('.chip-badge');
      b.textContent = String(n); b.hidden = n === 0; b.dataset.count = String(n);
    }
  };

  const row = (n) => {
    const unread = !n.read_at;
    const li = h('li', { class: `note note-${n.importance} ${unread ? 'unread' : 'read'}`, dataset: { id: n.id, kind: n.kind, category: n.category } },
      h('div', { class: 'row between' },
        h('strong', { class: 'note-title', text: n.title }),
        h('span', { class: `imp imp-${n.importance}`, text: i18n.label('imp', n.importance) })),
      h('p', { class: 'note-body', text: n.body }),
      n.data?.rules ? h('p', { class: 'rules small', text: n.data.rules }) : null,
      n.data?.status === 'ended' ? h('span', { class: 'status status-ended', text: t('campaign.status.ended') }) : null,
      noticeActions(ctx, n, refresh),
      h('div', { class: 'row between muted small' }, h('span', { text: `${i18n.label('cat', n.category)} · ${i18n.time(n.created_at)}` }),
        unread ? h('span', { class: 'dot', text: t('inbox.unread') }) : null));
    li.tabIndex = 0;
    const open = async () => {
      if (unread) { try { await ctx.api.post('/v1/me/inbox/read', { ids: [n.id] }); } catch (e) { app.toast(app.errText(e), 'error'); } }
      if (n.data?.campaign_id) location.hash = `#/campaigns/${encodeURIComponent(n.data.campaign_id)}`;
      else if (n.data?.conversation_id && n.data?.conversation_kind === 'support') location.hash = ctx.me.role === 'agent' ? '#/support' : `#/help/${encodeURIComponent(n.data.conversation_id)}`;
      else if (n.kind === 'support.rated_low') location.hash = '#/support-admin';
      else if (n.order_id && n.data?.conversation_id && n.data?.conversation_kind === 'order') location.hash = `#/orders/${encodeURIComponent(n.order_id)}/chat`;
      else if (n.order_id && ctx.me.role !== 'agent') location.hash = `#/orders/${encodeURIComponent(n.order_id)}`;
      else await refresh();
    };
    li.addEventListener('click', open);
    li.addEventListener('keydown', (e) => { if (e.key === 'Enter') open(); });
    return li;
  };

  let loading = 0;
  async function load(append = false) {
    const my = ++loading;
    for (const b of sortBtns) b.classList.toggle('active', b.dataset.sort === state.sort);
    for (const c of chips) c.classList.toggle('active', c.dataset.category === state.category);
    unreadToggle.checked = state.unread;
    markCat.hidden = !state.category;
    try {
      const res = await ctx.api.get(`/v1/me/inbox${qs({ sort: state.sort, category: state.category, unread: state.unread ? 'true' : '', q: state.q, cursor: append ? state.cursor : '', limit: 30 })}`);
      if (my !== loading || !ctx.current()) return;
      err.replaceChildren();
      const rows = (res.items || []).map(row);
      if (append) list.append(...rows); else list.replaceChildren(...(rows.length ? rows : [emptyItem(t('inbox.empty'))]));
      state.cursor = res.next_cursor || '';
      more.hidden = !state.cursor;
      list.dataset.sort = state.sort;
      list.dataset.category = state.category;
    } catch (e) { err.replaceChildren(app.problem(e)); }
  }
  async function refresh() { await Promise.all([load(), app.refreshUnread()]); }

  ctx.on('unread', paintBadges);
  ctx.on('notification.created', () => load());
  ctx.on('notification.read', () => load());
  ctx.on('notification.acknowledged', () => load());
  ctx.on('campaign.live', () => load());
  paintBadges();
  await load();
}
