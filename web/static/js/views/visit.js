// visit.js: the visit on an order's page (Y4). Everyone concerned sees its progress — on the way
// → arrived → started → done — with the worker's arrival estimate; the customer sees the start
// code once the worker checks in, and the photos at completion. The worker sets out (with an
// estimate), checks in, types the code to start and completes with photos; an operator may
// start an order without the code by an override with a reason (recorded).

import { h, field } from '../dom.js';
import { busy } from './kit.js';
import { imagePicker, imageStrip } from './images.js';

const STEPS = ['on_the_way', 'arrived', 'started', 'done'];

/** stepOf is how far the visit has come: an index into STEPS, -1 before the worker sets out. */
function stepOf(o) {
  if (o.status === 'completed') return 3;
  if (o.status === 'in_service') return 2;
  const s = o.visit?.state;
  return s === 'arrived' ? 1 : s === 'on_the_way' ? 0 : -1;
}

/** visitCard shows the visit's progress, the start code (customer) and the photos; null when there is nothing yet. */
export function visitCard(ctx, o) {
  const { t, i18n, me } = ctx;
  if (!['accepted', 'in_service', 'completed'].includes(o.status) || !(o.worker_id || o.worker?.id)) return null;
  const at = stepOf(o);
  const v = o.visit || {};
  const steps = h('ol', { class: 'visit-steps', id: 'visit-steps', 'aria-label': t('visit.progress') },
    STEPS.map((s, i) => h('li', { class: `visit-step${i <= at ? ' done' : ''}${i === at ? ' current' : ''}`, dataset: { step: s },
      'aria-current': i === at ? 'step' : null, text: t(`visit.${s}`) })));
  const card = h('section', { class: 'card visit-card', id: 'order-visit', dataset: { state: at >= 0 ? STEPS[at] : 'waiting' } },
    h('h2', { class: 'section-title', text: t('visit.title') }), steps);
  if (at === 0 && v.eta) card.append(h('p', { class: 'visit-eta', id: 'visit-eta', text: t('visit.eta', { at: i18n.time(v.eta) }) }));
  if (at === 1 && v.start_code) {
    card.append(h('div', { class: 'visit-code-box', role: 'status' },
      h('span', { class: 'muted small', text: t('visit.codeLabel') }),
      h('strong', { class: 'visit-code', id: 'visit-code', text: v.start_code }),
      h('p', { class: 'small', text: t('visit.codeNote') })));
  }
  if (at === 1 && me.role === 'worker' && !v.code_locked) card.append(h('p', { class: 'small', text: t('visit.askCode') }));
  if (at === 1 && v.code_locked) card.append(h('p', { class: 'warn', id: 'visit-locked', text: t('visit.locked') }));
  if (v.override_reason && at >= 2) card.append(h('p', { class: 'muted small', id: 'visit-override', text: t('visit.overridden', { reason: v.override_reason }) }));
  if (at === -1 && o.status === 'accepted' && v.late_for) card.append(h('p', { class: 'warn small', text: t('visit.notSetOut') }));
  const photos = o.photos || [];
  if (photos.length) {
    const before = photos.filter((p) => p.phase === 'before').map((p) => p.file_id);
    const after = photos.filter((p) => p.phase !== 'before').map((p) => p.file_id);
    const box = h('div', { class: 'visit-photos', id: 'visit-photos' });
    if (before.length) box.append(h('p', { class: 'muted small', text: t('visit.before') }), imageStrip(ctx, before));
    if (after.length) box.append(h('p', { class: 'muted small', text: t('visit.after') }), imageStrip(ctx, after));
    card.append(h('h3', { class: 'small', text: t('visit.photos', { n: photos.length }) }), box);
  }
  return card;
}

/**
 * visitActions adds this person's visit steps to the order's action bar: direct(id, label, path)
 * posts at once, panel(id, label, build) opens a small form. It returns true when it added any.
 */
export function visitActions(ctx, o, base, direct, panel) {
  const { t, me } = ctx;
  const mine = me.role === 'worker' && (o.worker_id || o.worker?.id) === me.id;
  const v = o.visit || {};
  if (mine && o.status === 'accepted' && v.state !== 'arrived') {
    panel('onway', t(v.state === 'on_the_way' ? 'visit.updateEta' : 'visit.setOut'), (p) => onTheWayForm(ctx, base, p), v.state ? '' : 'primary');
    direct('order-checkin', t('visit.checkIn'), 'check-in', v.state === 'on_the_way' ? 'primary' : '');
  }
  if (mine && o.status === 'accepted' && v.state === 'arrived' && !v.code_locked) panel('start', t('order.start'), (p) => startForm(ctx, base, p), 'primary');
  if (mine && o.status === 'in_service') panel('complete', t('order.complete'), (p) => completeForm(ctx, base, p), 'primary');
  if (me.role === 'operator' && o.status === 'accepted' && (o.worker_id || o.worker?.id)) panel('override', t('visit.override'), (p) => overrideForm(ctx, base, p));
}

function onTheWayForm(ctx, base, p) {
  const { t } = ctx;
  const minutes = h('input', { id: 'onway-minutes', type: 'number', min: 1, max: 1440, required: true, value: 30, inputmode: 'numeric' });
  const err = h('div');
  const go = h('button', { class: 'primary', type: 'submit', id: 'onway-submit', text: t('visit.send') });
  p.append(h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      await ctx.api.post(`${base}/on-the-way`, { minutes: Number(minutes.value) }, { create: true });
      ctx.app.toast(t('visit.setOutDone'), 'ok');
      ctx.redraw();
    }, err);
  } }, field(t('visit.minutes'), minutes), err, go));
}

function startForm(ctx, base, p) {
  const { t } = ctx;
  const code = h('input', { id: 'start-code', required: true, maxlength: 8, inputmode: 'numeric', autocomplete: 'one-time-code', pattern: '[0-9]*' });
  const err = h('div');
  const go = h('button', { class: 'primary', type: 'submit', id: 'start-submit', text: t('order.start') });
  p.append(h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      await ctx.api.post(`${base}/start`, { code: code.value.trim() }, { create: true });
      ctx.redraw();
    }, err);
  } }, field(t('visit.codeInput'), code), err, go));
}

function completeForm(ctx, base, p) {
  const { t } = ctx;
  const before = imagePicker(ctx, 'photos-before', 9, { camera: true });
  const after = imagePicker(ctx, 'photos-after', 9, { camera: true });
  const err = h('div');
  const go = h('button', { class: 'primary', type: 'submit', id: 'complete-submit', text: t('order.complete') });
  p.append(h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      const photos = [...before.ids().map((id) => ({ file_id: id, phase: 'before' })), ...after.ids().map((id) => ({ file_id: id, phase: 'after' }))];
      await ctx.api.post(`${base}/complete`, { photos }, { create: true });
      ctx.redraw();
    }, err);
  } }, h('p', { class: 'muted small', text: t('visit.photosNote') }),
  h('div', { class: 'visit-pick', dataset: { phase: 'after' } }, h('strong', { class: 'small', text: t('visit.after') }), after.el),
  h('div', { class: 'visit-pick', dataset: { phase: 'before' } }, h('strong', { class: 'small', text: t('visit.beforeOptional') }), before.el),
  err, go));
}

function overrideForm(ctx, base, p) {
  const { t } = ctx;
  const reason = h('input', { id: 'override-reason', required: true, maxlength: 200 });
  const err = h('div');
  const go = h('button', { class: 'primary', type: 'submit', id: 'override-submit', text: t('visit.override') });
  p.append(h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      await ctx.api.post(`${base}/start`, { override_reason: reason.value.trim() }, { create: true });
      ctx.redraw();
    }, err);
  } }, h('p', { class: 'muted small', text: t('visit.overrideNote') }), field(t('common.reason'), reason), err, go));
}
