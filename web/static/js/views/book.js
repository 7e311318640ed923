// book.js: the customer books a service from the catalogue (item, address, time, requirements).
// Nothing is chosen for them: the form starts empty, the address must name the street and number,
// and a summary (service, time, address, price) is shown and confirmed before the order is sent.

import { h, field } from '../dom.js';
import { toLocalInput, fromLocalInput, busy, sectionTitle } from './kit.js';

/** streetLevel tells whether an address names more than a district: a street or building and a number. */
export function streetLevel(s) {
  const v = String(s || '').replace(/\s+/g, '');
  return v.length >= 6 && /\d/.test(v) && /[路街道巷弄里村号楼栋室座]|road|rd|street|st\b|ave|lane|no\.|apt|bldg|room|#/i.test(s);
}

export async function render(ctx) {
  const { t, i18n, root, app } = ctx;
  const items = [...(await app.catalogue()).values()];
  root.append(h('h1', { text: t('book.title') }));
  let chosen = '';

  // The catalogue is a radio group: one tab stop, arrows move the choice, the choice is announced.
  const pickErr = h('p', { class: 'field-error', id: 'book-item-error', hidden: true });
  const list = h('div', { class: 'catalogue', id: 'book-items', role: 'radiogroup', 'aria-labelledby': 'book-pick-title', 'aria-describedby': 'book-item-error' });
  const cards = items.map((it) => h('div', { class: 'card item-card', dataset: { item: it.id }, role: 'radio', 'aria-checked': 'false', tabindex: '-1',
    'aria-labelledby': `item-name-${it.id}`, 'aria-describedby': `item-desc-${it.id}` },
  h('div', { class: 'row between' }, h('strong', { id: `item-name-${it.id}`, text: i18n.text(it.name) }), h('span', { class: 'price', text: i18n.money(it.price_cents) })),
  h('span', { class: 'muted small', id: `item-desc-${it.id}`, text: `${i18n.text(it.description)} · ${t('book.duration', { n: it.duration_minutes })}` })));
  const choose = (id, focus) => {
    chosen = id;
    cards.forEach((c, i) => {
      const on = c.dataset.item === id;
      c.classList.toggle('chosen', on);
      c.setAttribute('aria-checked', String(on));
      c.tabIndex = on || (!id && i === 0) ? 0 : -1;
      if (on && focus) c.focus();
    });
    pickErr.hidden = true;
    chosenNote.textContent = id ? t('book.chosen', { name: i18n.text(items.find((x) => x.id === id)?.name) }) : '';
  };
  cards.forEach((c, i) => {
    c.addEventListener('click', () => choose(c.dataset.item, true));
    c.addEventListener('keydown', (e) => {
      const step = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 }[e.key];
      if (step) { e.preventDefault(); choose(cards[(i + step + cards.length) % cards.length].dataset.item, true); }
      if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); choose(c.dataset.item, true); }
    });
  });
  list.append(...cards);
  // What was chosen stays in sight next to the submit button.
  const chosenNote = h('p', { class: 'chosen-note', id: 'book-chosen', 'aria-live': 'polite' });

  const min = new Date(Date.now() + 3600 * 1000); min.setMinutes(0, 0, 0);
  const address = h('input', { id: 'book-address', maxlength: 200, autocomplete: 'street-address', placeholder: t('book.addressPh'), 'aria-describedby': 'book-address-error' });
  const when = h('input', { id: 'book-time', type: 'datetime-local', min: toLocalInput(min), step: 1800, 'aria-describedby': 'book-time-error' });
  const reqs = h('textarea', { id: 'book-requirements', rows: 3, maxlength: 1000, placeholder: t('book.requirementsPh') });
  const addrErr = h('p', { class: 'field-error', id: 'book-address-error', hidden: true });
  const timeErr = h('p', { class: 'field-error', id: 'book-time-error', hidden: true });
  const errors = h('div');
  const submit = h('button', { class: 'primary', type: 'submit', id: 'book-submit', text: t('book.review') });

  const bad = (el, box, msg) => { box.textContent = msg; box.hidden = !msg; if (el) el.setAttribute('aria-invalid', msg ? 'true' : 'false'); return !msg; };
  const check = () => {
    const a = address.value.trim();
    const at = when.value ? new Date(when.value) : null;
    const ok = [
      chosen ? (pickErr.hidden = true, true) : (pickErr.textContent = t('book.needItem'), pickErr.hidden = false, false),
      bad(address, addrErr, !a ? t('book.needAddress') : !streetLevel(a) ? t('book.needStreet') : ''),
      bad(when, timeErr, !at ? t('book.needTime') : at.getTime() <= Date.now() ? t('fieldMsg.future') : ''),
    ];
    return ok.every(Boolean);
  };

  // The summary: what will be booked, for how much — sent only when confirmed.
  const summary = h('section', { class: 'card summary', id: 'book-summary', hidden: true, 'aria-labelledby': 'book-summary-title' });
  const showSummary = () => {
    const it = items.find((x) => x.id === chosen);
    const confirmBtn = h('button', { class: 'primary', type: 'button', id: 'book-confirm', text: t('book.confirm') });
    const edit = h('button', { type: 'button', id: 'book-edit', text: t('book.edit') });
    const sumErr = h('div');
    confirmBtn.addEventListener('click', () => busy(ctx, confirmBtn, async () => {
      const o = await ctx.api.post('/v1/orders', {
        service_item_id: chosen, address: address.value.trim(), appointment_at: fromLocalInput(when.value), requirements: reqs.value.trim(),
      }, { create: true });
      app.ok(t('book.done'), { carry: true });
      location.hash = `#/orders/${encodeURIComponent(o.id)}`;
    }, sumErr));
    edit.addEventListener('click', () => { summary.hidden = true; form.hidden = false; list.hidden = false; pickTitle.hidden = false; submit.focus(); });
    const rows = [[t('order.item'), i18n.text(it?.name)], [t('order.time'), i18n.time(fromLocalInput(when.value))],
      [t('order.address'), address.value.trim()], [t('order.requirements'), reqs.value.trim()], [t('order.amount'), i18n.money(it?.price_cents)]].filter(([, v]) => v);
    summary.replaceChildren(h('h2', { class: 'section-title', id: 'book-summary-title', tabindex: '-1', text: t('book.summary') }),
      h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])),
      h('p', { class: 'muted small', text: t('book.summaryNote') }), sumErr, h('div', { class: 'row gap' }, confirmBtn, edit));
    summary.hidden = false; form.hidden = true; list.hidden = true; pickTitle.hidden = true;
    summary.querySelector('h2').focus();
  };

  const form = h('form', { class: 'card form', id: 'book-form', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    errors.replaceChildren();
    if (check()) showSummary();
    else root.querySelector('[aria-invalid="true"], .field-error:not([hidden])')?.scrollIntoView({ block: 'center' });
  } }, field(t('book.address'), address, t('book.addressHint')), addrErr, field(t('book.time'), when), timeErr,
  field(t('book.requirements'), reqs), errors, chosenNote, submit);
  const pickTitle = sectionTitle(t('book.pick'));
  pickTitle.id = 'book-pick-title';
  root.append(pickTitle, pickErr, list, form, summary);
  choose('');
}
