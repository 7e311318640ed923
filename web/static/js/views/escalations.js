// escalations.js: the operators' live escalations board (Y1) — SOS alerts to take (paging repeats
// until one operator does), notices unread past their read-by deadline with the step their
// fall-back chain is at, and each kind's deadline and chain.

import { h, field } from '../dom.js';
import { busy, sectionTitle, emptyItem, items } from './kit.js';

export async function render(ctx) {
  const { t, i18n, root, app } = ctx;
  const sosList = h('ul', { class: 'list sos-list', id: 'sos-list' });
  const board = h('ul', { class: 'list escalations', id: 'escalations-list' });
  const err = h('div');
  const rules = h('section', { class: 'card', id: 'notice-chains' }, sectionTitle(t('esc.rules')));
  root.append(h('h1', { text: t('esc.title') }), err,
    h('section', { class: 'card' }, sectionTitle(t('esc.sos')), sosList),
    h('section', { class: 'card' }, sectionTitle(t('esc.unread')), h('p', { class: 'muted small', text: t('esc.unreadNote') }), board),
    rules);

  const sosRow = async (a) => {
    const who = await app.person(a.raised_by);
    const e = h('div');
    const take = h('button', { class: 'danger', type: 'button', dataset: { sos: a.id }, text: t('esc.takeSOS') });
    take.addEventListener('click', () => busy(ctx, take, async () => {
      await ctx.api.post(`/v1/sos/${encodeURIComponent(a.id)}/acknowledge`, {});
      app.ok(t('esc.sosTaken'));
      await load();
    }, e));
    return h('li', { class: 'card sos', dataset: { id: a.id, order: a.order_id } },
      h('div', { class: 'row between' }, h('strong', { text: t('esc.sosFrom', { name: who?.name || a.raised_by, role: i18n.label('role', a.raiser_role) }) }),
        h('span', { class: 'muted small', text: i18n.time(a.created_at) })),
      a.text ? h('p', { text: a.text }) : null,
      h('p', { class: 'muted small', text: t('esc.pages', { n: a.pages }) }),
      h('div', { class: 'row gap' }, take, h('a', { class: 'link', href: `#/orders/${encodeURIComponent(a.order_id)}`, text: t('approvals.open') })), e);
  };
  const row = (c) => h('li', { class: 'card escalation', dataset: { id: c.notification_id, step: c.at_step, kind: c.kind } },
    h('div', { class: 'row between' }, h('strong', { text: `${c.recipient_name || c.recipient_id} · ${i18n.label('role', c.recipient_role)}` }),
      h('span', { class: 'status esc-step', text: t('esc.atStep', { step: i18n.label('step', c.at_step) }) })),
    h('p', { text: c.title || c.kind }),
    h('p', { class: 'muted small', text: `${t(c.ack_required ? 'esc.ackBy' : 'esc.readBy', { at: i18n.time(c.deadline_at) })}${c.next_at ? ` · ${t('esc.next', { at: i18n.time(c.next_at) })}` : ''}` }),
    c.order_id ? h('a', { class: 'link', href: `#/orders/${encodeURIComponent(c.order_id)}`, text: t('approvals.open') }) : null);

  let loading = 0;
  async function load() {
    const my = ++loading;
    try {
      const res = await ctx.api.get('/v1/admin/escalations');
      if (my !== loading || !ctx.current()) return;
      err.replaceChildren();
      const sos = await Promise.all((res.sos || []).map(sosRow));
      if (my !== loading || !ctx.current()) return;
      sosList.replaceChildren(...(sos.length ? sos : [emptyItem(t('esc.noSOS'))]));
      const list = items(res).map(row);
      board.replaceChildren(...(list.length ? list : [emptyItem(t('esc.none'))]));
    } catch (e) { err.replaceChildren(app.problem(e)); }
  }
  let timer = 0;
  const soon = () => { clearTimeout(timer); timer = setTimeout(load, 300); };
  ctx.on('notification.created', soon);
  ctx.on('notification.read', soon);
  const poll = setInterval(() => { if (ctx.current()) load(); else clearInterval(poll); }, 30000);
  await load();
  Promise.all([ctx.api.get('/v1/admin/notice-chains'), ctx.api.get('/v1/kinds').catch(() => ({ items: [] }))]).then(([doc, kinds]) => {
    const names = new Map(items(kinds).map((k) => [k.id, k.label]));
    rules.append(rulesForm(ctx, doc, names));
  }, (e) => rules.append(app.problem(e)));
}

/** rulesForm edits each kind's read-by deadline, chain steps (in order) and gateway channel. */
function rulesForm(ctx, doc, names) {
  const { t, i18n, app } = ctx;
  const steps = doc.steps || [];
  const shown = (doc.rules || []).filter((r) => r.read_by_minutes > 0 || r.acknowledge || r.urgent || (r.steps || []).length);
  const id = (k) => k.replace(/[^A-Za-z0-9_-]/g, '_');
  const rows = shown.map((r) => {
    const minutes = h('input', { type: 'number', min: 0, max: 10080, id: `chain-minutes-${id(r.kind)}`, value: String(r.read_by_minutes), dataset: { kind: r.kind } });
    const boxes = steps.map((s) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: s, checked: (r.steps || []).includes(s), dataset: { step: s } }), h('span', { text: i18n.label('step', s) })));
    const esc = h('select', { 'aria-label': t('esc.channel') }, ['sms', 'app_push'].map((x) => h('option', { value: x, text: i18n.label('escalation', x), selected: (r.escalation || 'sms') === x })));
    return { r, minutes, boxes, esc, el: h('fieldset', { class: 'chain-rule', dataset: { kind: r.kind } },
      h('legend', { text: `${names.get(r.kind) || r.kind}${r.acknowledge ? ` · ${t('esc.needsAck')}` : ''}${r.urgent ? ` · ${t('esc.urgent')}` : ''}` }),
      field(t('esc.minutes'), minutes), h('div', { class: 'row gap wrap', role: 'group', 'aria-label': t('esc.steps') }, boxes), field(t('esc.channel'), esc)) };
  });
  const err = h('div');
  const save = h('button', { class: 'primary', type: 'submit', id: 'chains-save', text: t('common.save') });
  return h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, save, async () => {
      await ctx.api.put('/v1/admin/notice-chains', { rules: rows.map(({ r, minutes, boxes, esc }) => ({
        kind: r.kind, read_by_minutes: Number(minutes.value || 0),
        steps: boxes.map((b) => b.querySelector('input')).filter((x) => x.checked).map((x) => x.value), escalation: esc.value })) });
      app.ok(t('common.saved'));
    }, err);
  } }, rows.map((x) => x.el), err, save);
}
