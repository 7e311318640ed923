// household.js: order watchers (Y5). The customer manages the family members who follow their
// orders — on an order's page (this order) and in settings (all orders): add one by phone (the
// platform confirms the person) or pick someone already in the household, choose whether they may
// chat with the worker and answer time changes, remove them. A watcher sees a banner on the
// orders they follow and finds them under "orders I follow".

import { h, field } from '../dom.js';
import { busy, sectionTitle, emptyItem, items, orderCard } from './kit.js';

const WATCHERS = '/v1/household/watchers';

/** watcherBanner tells a watcher whose order this is and what they may do. */
export function watcherBanner(ctx, o, customer) {
  const { t } = ctx;
  const v = o.viewer;
  if (!v || v.relation !== 'watcher') return null;
  const rights = [t(v.can_chat ? 'hh.mayChat' : 'hh.noChat'), t(v.can_answer_changes ? 'hh.mayAnswer' : 'hh.noAnswer')];
  return h('section', { class: 'card watcher-banner', id: 'watcher-banner', role: 'note' },
    h('strong', { text: t('hh.watching', { name: customer?.name || '' }) }),
    h('p', { class: 'muted small', text: rights.join(' · ') }),
    h('p', { class: 'muted small', text: t('hh.noPayment') }));
}

/** watcherNames shows the order's watchers by display name (what the worker and others see). */
export function watcherNames(ctx, o) {
  const ws = o.watchers || [];
  if (!ws.length) return null;
  return h('p', { class: 'muted small watcher-names', id: 'order-watchers',
    text: ctx.t('hh.followers', { names: ws.map((w) => w.name).join(ctx.t('hh.sep')) }) });
}

/**
 * householdCard is the customer's management of who follows one order (orderID) or, with
 * orderID '', all their orders. onChange runs after every change.
 */
export function householdCard(ctx, orderID, onChange) {
  const { t } = ctx;
  const sec = h('section', { class: 'card household-card', id: orderID ? 'order-household' : 'settings-household' },
    sectionTitle(t(orderID ? 'hh.orderTitle' : 'hh.title')),
    h('p', { class: 'muted small', text: t(orderID ? 'hh.orderNote' : 'hh.note') }));
  const list = h('ul', { class: 'watchers', id: 'watchers' });
  const err = h('div');
  sec.append(list, err);
  const add = h('div', { class: 'panel', hidden: true, dataset: { panel: 'household' } });
  const open = h('button', { type: 'button', id: 'household-add-open', text: t('hh.add'),
    onclick: () => { add.hidden = !add.hidden; if (!add.hidden) add.querySelector('select, input')?.focus(); } });
  sec.append(h('div', { class: 'row gap' }, open), add);

  const load = async () => {
    let all = [];
    try { all = items(await ctx.api.get(WATCHERS)); } catch (e) { err.replaceChildren(ctx.app.problem(e)); return; }
    const mine = all.filter((w) => !orderID || w.order_id === orderID || w.order_id === '');
    list.replaceChildren(...(mine.length ? mine.map((w) => watcherRow(ctx, w, orderID, reload)) : [emptyItem(t('hh.empty'))]));
    addForm(ctx, add, all, orderID, reload);
  };
  const reload = async () => { await load(); if (onChange) onChange(); };
  load();
  return sec;
}

function scopeLabel(ctx, w, orderID) {
  if (w.order_id === '') return ctx.t('hh.allOrders');
  return orderID ? ctx.t('hh.thisOrder') : ctx.t('hh.oneOrder');
}

/** watcherRow is one watcher: name (or the invited number), scope, the two rights, remove. */
function watcherRow(ctx, w, orderID, reload) {
  const { t } = ctx;
  const err = h('div');
  const invited = w.status === 'invited';
  // A watcher of all orders is managed in settings; on an order's page it is shown, not changed.
  const editable = !orderID || w.order_id === orderID;
  const right = (key, label) => {
    const id = `w-${w.id}-${key}`;
    const box = h('input', { type: 'checkbox', id, checked: w[key], disabled: !editable });
    box.addEventListener('change', () => busy(ctx, box, async () => {
      await ctx.api.patch(`${WATCHERS}/${encodeURIComponent(w.id)}`, { [key]: box.checked });
      ctx.app.toast(t('hh.saved'), 'ok');
    }, err));
    return h('label', { class: 'check', for: id }, box, h('span', { text: label }));
  };
  const remove = h('button', { type: 'button', class: 'danger small watcher-remove', text: t('hh.remove'), disabled: !editable });
  let armed = false;
  remove.addEventListener('click', () => {
    if (!armed) { armed = true; remove.textContent = t('hh.removeConfirm'); return; }
    busy(ctx, remove, async () => {
      await ctx.api.request('DELETE', `${WATCHERS}/${encodeURIComponent(w.id)}`);
      ctx.app.toast(t('hh.removed'), 'ok');
      await reload();
    }, err);
  });
  return h('li', { class: 'watcher', dataset: { watcher: w.id, person: w.person_id || '', status: w.status } },
    h('div', { class: 'row between wrap' },
      h('strong', { class: 'watcher-name', text: invited ? w.phone : w.name }),
      h('span', { class: `chip ${invited ? 'chip-warn' : ''}`, text: invited ? t('hh.invited') : scopeLabel(ctx, w, orderID) })),
    h('div', { class: 'row gap wrap' }, right('can_chat', t('hh.canChat')), right('can_answer_changes', t('hh.canAnswer')), remove),
    err);
}

/** addForm adds someone already in the household, or invites a new member by phone. */
function addForm(ctx, panel, all, orderID, reload) {
  const { t } = ctx;
  const known = new Map();
  for (const w of all) if (w.person_id && !(orderID ? (w.order_id === orderID || w.order_id === '') : w.order_id === '')) known.set(w.person_id, w.name);
  const who = h('select', { id: 'household-who' },
    h('option', { value: '', text: t('hh.byPhone') }),
    [...known].map(([id, name]) => h('option', { value: id, text: name })));
  const phone = h('input', { id: 'household-phone', type: 'tel', inputmode: 'tel', autocomplete: 'tel', maxlength: 16, placeholder: '13800000000' });
  const phoneField = field(t('hh.phone'), phone, t('hh.phoneHint'));
  who.addEventListener('change', () => { phoneField.hidden = Boolean(who.value); });
  const chat = h('input', { type: 'checkbox', id: 'household-can-chat' });
  const answer = h('input', { type: 'checkbox', id: 'household-can-answer' });
  const err = h('div');
  const go = h('button', { class: 'primary', type: 'submit', id: 'household-submit', text: t(orderID ? 'hh.addToOrder' : 'hh.addToAll') });
  panel.replaceChildren(h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      const body = { order_id: orderID, can_chat: chat.checked, can_answer_changes: answer.checked };
      if (who.value) body.person_id = who.value; else body.phone = phone.value.replace(/[\s-]/g, '');
      const w = await ctx.api.post(WATCHERS, body);
      ctx.app.toast(t(w.status === 'invited' ? 'hh.invitedToast' : 'hh.addedToast'), 'ok');
      panel.hidden = true;
      await reload();
    }, err, { fields: { phone: t('hh.phone'), person_id: t('hh.who') } });
  } }, known.size ? field(t('hh.who'), who) : null, phoneField,
  h('label', { class: 'check', for: 'household-can-chat' }, chat, h('span', { text: t('hh.canChat') })),
  h('label', { class: 'check', for: 'household-can-answer' }, answer, h('span', { text: t('hh.canAnswer') })),
  err, go));
}

/** watchedSection lists the orders this customer follows for someone else (none: nothing shown). */
export async function watchedSection(ctx) {
  let list = [];
  try { list = items(await ctx.api.get('/v1/household/watching')); } catch { return null; }
  if (!list.length) return null;
  const cards = await Promise.all(list.map((o) => orderCard(ctx, o)));
  return h('section', { class: 'watched', id: 'watched-orders' }, sectionTitle(ctx.t('hh.watchedTitle')),
    h('ul', { class: 'order-list' }, cards));
}
