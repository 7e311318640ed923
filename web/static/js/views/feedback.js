// feedback.js: the feedback box (I4) for customers and workers — a form (topic, text, images,
// optionally one of my orders) and my feedback with its status, the operators' answer and history.
// An answer arriving while the page is open shows at once.

import { h, field } from '../dom.js';
import { busy, sectionTitle, emptyState, items, itemName } from './kit.js';
import { imagePicker, imageStrip } from './images.js';

export const TOPICS = ['features', 'service_quality', 'worker_management', 'payments', 'other'];
export const FB_STATUSES = ['new', 'reviewing', 'planned', 'done', 'declined'];

export function fbStatusChip(ctx, status) {
  return h('span', { class: `status fb-status fb-${status}`, dataset: { status }, text: ctx.t(`fb.status.${status}`) });
}

export async function render(ctx) {
  const { t, root, api } = ctx;
  root.append(h('h1', { text: t('fb.title') }));

  const topic = h('select', { id: 'fb-topic' }, TOPICS.map((x) => h('option', { value: x, text: t(`fb.topic.${x}`) })));
  const text = h('textarea', { id: 'fb-text', rows: 5, maxlength: 2000, required: true, placeholder: t('fb.textPh') });
  const count = h('span', { class: 'field-hint', id: 'fb-count', text: '0 / 2000' });
  text.addEventListener('input', () => { count.textContent = `${[...text.value].length} / 2000`; });
  const order = h('select', { id: 'fb-order' }, h('option', { value: '', text: t('fb.noOrder') }));
  api.get('/v1/orders?limit=30').then(async (res) => {
    for (const o of items(res)) {
      const name = await itemName(ctx, o);
      order.append(h('option', { value: o.id, text: `${name} · ${ctx.i18n.time(o.appointment_at)}` }));
    }
  }, () => {});
  const pics = imagePicker(ctx, 'fb-images', 6);
  const errors = h('div');
  const submit = h('button', { class: 'primary', type: 'submit', id: 'fb-submit', text: t('common.submit') });
  const form = h('form', { class: 'card form', id: 'fb-form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, submit, async () => {
      await api.post('/v1/feedback', { topic: topic.value, text: text.value.trim(), order_id: order.value || undefined, file_ids: pics.ids() });
      text.value = ''; count.textContent = '0 / 2000'; order.value = ''; pics.clear();
      ctx.app.toast(t('fb.sent'), 'ok');
      await load();
    }, errors);
  } }, field(t('fb.topic'), topic), field(t('fb.text'), text, null), count, field(t('fb.order'), order), pics.el, errors, submit);
  root.append(form);

  const list = h('ul', { class: 'list', id: 'fb-list' });
  root.append(sectionTitle(t('fb.mine')), list);

  async function load() {
    const res = await api.get('/v1/me/feedback');
    const fbs = items(res);
    if (!ctx.current()) return;
    list.replaceChildren();
    if (!fbs.length) { list.append(h('li', null, emptyState(t('fb.empty')))); return; }
    for (const f of fbs) list.append(card(f));
  }

  function card(f) {
    const hist = h('ol', { class: 'timeline fb-history', hidden: true });
    const toggle = h('button', { class: 'link', type: 'button', text: t('fb.history'), onclick: async () => {
      hist.hidden = !hist.hidden;
      if (!hist.hidden && !hist.childElementCount) {
        try {
          const d = await api.get(`/v1/feedback/${encodeURIComponent(f.id)}`);
          for (const e of d.history || []) hist.append(historyLine(ctx, e));
        } catch (e) { hist.append(ctx.app.problem(e)); }
      }
    } });
    return h('li', { class: 'card fb-card', dataset: { feedback: f.id, status: f.status } },
      h('div', { class: 'row between' }, h('strong', { text: t(`fb.topic.${f.topic}`) }), fbStatusChip(ctx, f.status)),
      h('p', { class: 'fb-text', text: f.text }),
      imageStrip(ctx, f.file_ids),
      h('div', { class: 'muted small', text: ctx.i18n.time(f.created_at) }),
      f.answer ? h('div', { class: 'fb-answer' }, h('span', { class: 'field-label', text: t('fb.answer') }), h('p', { text: f.answer }),
        f.answered_at ? h('span', { class: 'muted small', text: ctx.i18n.time(f.answered_at) }) : null) : null,
      toggle, hist);
  }

  await load();
  ctx.on('notification.created', (ev) => {
    const n = ev.data?.notification || ev.data || {};
    if (n.kind === 'feedback.answered') load().catch(() => {});
  });
}

/** historyLine renders one line of a feedback's history. */
export function historyLine(ctx, e) {
  const { t } = ctx;
  const d = e.details || {};
  let what = t(`fb.ev.${e.type}`);
  if (e.type === 'status') what = t('fb.ev.statusTo', { to: t(`fb.status.${d.to}`) });
  if (e.type === 'tagged') what = t('fb.ev.taggedTo', { to: (d.to || []).join('、') || '—' });
  return h('li', { class: 'tl-entry', dataset: { type: e.type } },
    h('span', { class: 'muted small', text: ctx.i18n.time(e.created_at) }), ' ', h('span', { text: what }),
    e.type === 'answered' && d.answer ? h('p', { class: 'small', text: d.answer }) : null);
}
