// book.js: the customer books a service from the catalogue (item, address, time, requirements).

import { h, field } from '../dom.js';
import { toLocalInput, fromLocalInput, busy, sectionTitle } from './kit.js';

export async function render(ctx) {
  const { t, i18n, root, app } = ctx;
  const items = [...(await app.catalogue()).values()];
  root.append(h('h1', { text: t('book.title') }));
  let chosen = items[0]?.id || '';
  const list = h('div', { class: 'catalogue', role: 'radiogroup', 'aria-label': t('book.pick') });
  const paint = () => { for (const b of list.children) b.classList.toggle('chosen', b.dataset.item === chosen); };
  for (const it of items) {
    list.append(h('button', { type: 'button', class: 'card item-card', dataset: { item: it.id }, role: 'radio',
      onclick: () => { chosen = it.id; paint(); } },
    h('div', { class: 'row between' }, h('strong', { text: i18n.text(it.name) }), h('span', { class: 'price', text: i18n.money(it.price_cents) })),
    h('span', { class: 'muted small', text: i18n.text(it.description) }),
    h('span', { class: 'muted small', text: t('book.duration', { n: it.duration_minutes }) })));
  }
  paint();
  const soon = new Date(Date.now() + 26 * 3600 * 1000); soon.setMinutes(0, 0, 0);
  soon.setHours(Math.max(9, Math.min(17, soon.getHours())));
  const address = h('input', { id: 'book-address', required: true, maxlength: 200, placeholder: t('book.addressPh'), value: app.me.area ? `${app.me.area} ` : '' });
  const when = h('input', { id: 'book-time', type: 'datetime-local', required: true, value: toLocalInput(soon) });
  const reqs = h('textarea', { id: 'book-requirements', rows: 3, maxlength: 1000, placeholder: t('book.requirementsPh') });
  const errors = h('div');
  const submit = h('button', { class: 'primary', type: 'submit', id: 'book-submit', text: t('book.submit') });
  const form = h('form', { class: 'card form', id: 'book-form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, submit, async () => {
      const o = await ctx.api.post('/v1/orders', {
        service_item_id: chosen, address: address.value.trim(), appointment_at: fromLocalInput(when.value), requirements: reqs.value.trim(),
      }, { create: true });
      app.toast(t('book.done'), 'ok');
      location.hash = `#/orders/${encodeURIComponent(o.id)}`;
    }, errors);
  } }, field(t('book.address'), address), field(t('book.time'), when), field(t('book.requirements'), reqs), errors, submit);
  root.append(sectionTitle(t('book.pick')), list, form);
}
