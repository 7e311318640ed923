// deskadmin.js: the support desk for operators (I3) — satisfaction over a period (average, scores,
// per agent, the low ratings with their comments), agents with presence, load and capacity, the
// business hours per weekday and after how long an offline agent's conversations return to the
// queue, and the canned replies agents insert.

import { h, field, replace } from '../dom.js';
import { busy, emptyItem, sectionTitle } from './kit.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

export async function render(ctx) {
  const { t, root } = ctx;
  root.append(h('h1', { text: t('deskadmin.title') }));
  const sat = h('section', { class: 'card', id: 'da-satisfaction' });
  const agents = h('section', { class: 'card', id: 'da-agents' });
  const hours = h('section', { class: 'card', id: 'da-hours' });
  const canned = h('section', { class: 'card', id: 'da-canned' });
  root.append(sat, agents, hours, canned);
  await Promise.all([satisfaction(ctx, sat), agentsOf(ctx, agents), hoursOf(ctx, hours), cannedOf(ctx, canned)]);
  ctx.on('notification.created', (ev) => {
    if ((ev.data?.notification || ev.data || {}).kind === 'support.rated_low') satisfaction(ctx, sat).catch(() => {});
  });
}

const day = (d) => {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
};

async function satisfaction(ctx, box) {
  const { t, api, i18n } = ctx;
  const now = new Date();
  const from = h('input', { type: 'date', id: 'da-from', value: box.dataset.from || day(new Date(now.getTime() - 29 * 864e5)) });
  const to = h('input', { type: 'date', id: 'da-to', value: box.dataset.to || day(now) });
  const go = h('button', { type: 'submit', id: 'da-apply', text: t('fbt.apply') });
  const out = h('div', { id: 'da-sat-out' });
  const errors = h('div');
  const load = async () => {
    box.dataset.from = from.value; box.dataset.to = to.value;
    const s = await api.get(`/v1/admin/support/satisfaction?from=${encodeURIComponent(from.value)}&to=${encodeURIComponent(to.value)}`);
    const max = Math.max(1, ...Object.values(s.by_score || {}));
    replace(out,
      h('p', { class: 'da-summary', id: 'da-summary', text: s.count ? t('deskadmin.summary', { n: s.count, avg: s.average.toFixed(2), r: s.resolved })
        : t('deskadmin.noRatings', { r: s.resolved }) }),
      h('ul', { class: 'list da-bars', 'aria-label': t('deskadmin.byScore') }, [5, 4, 3, 2, 1].map((n) => {
        const c = s.by_score?.[String(n)] || 0;
        return h('li', { class: 'row gap da-bar' }, h('span', { class: 'da-bar-label', text: t('help.stars', { n }) }),
          h('meter', { min: 0, max, value: c, 'aria-label': t('help.stars', { n }) }), h('span', { text: String(c) }));
      })),
      s.agents?.length ? h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('deskadmin.perAgent') }, h('table', { class: 'tbl', id: 'da-agent-ratings' },
        h('caption', { class: 'sr-only', text: t('deskadmin.perAgent') }),
        h('thead', null, h('tr', null, h('th', { scope: 'col', text: t('role.agent') }), h('th', { scope: 'col', text: t('deskadmin.count') }), h('th', { scope: 'col', text: t('deskadmin.avg') }))),
        h('tbody', null, s.agents.map((a) => h('tr', null, h('td', { text: a.name || a.agent_id || '—' }), h('td', { text: String(a.count) }), h('td', { text: a.average.toFixed(2) })))))) : null,
      h('h3', { class: 'section-title', text: t('deskadmin.low') }),
      h('ul', { class: 'list', id: 'da-low' }, (s.low || []).length ? s.low.map((r) => h('li', { class: 'da-low' },
        h('strong', { text: t('help.stars', { n: r.score }) }), ' ', h('span', { class: 'muted small', text: i18n.time(r.created_at) }),
        r.comment ? h('p', { text: r.comment }) : null)) : emptyItem(t('deskadmin.noLow'))));
  };
  const form = h('form', { class: 'row gap wrap align-end', onsubmit: (ev) => { ev.preventDefault(); busy(ctx, go, load, errors); } },
    field(t('deskadmin.from'), from), field(t('deskadmin.to'), to), go);
  box.replaceChildren(sectionTitle(t('deskadmin.satisfaction')), form, errors, out);
  await load().catch((e) => errors.append(ctx.app.problem(e)));
}

async function agentsOf(ctx, box) {
  const { t, api, app } = ctx;
  const res = await api.get('/v1/support/agents');
  const body = h('tbody');
  for (const a of res.items || []) {
    const cap = h('input', { type: 'number', min: 1, max: 50, value: String(a.capacity), class: 'da-cap', 'aria-label': t('deskadmin.capacityOf', { name: a.name }) });
    const save = h('button', { type: 'button', text: t('common.save'), 'aria-label': t('deskadmin.saveOf', { name: a.name }) });
    save.addEventListener('click', () => busy(ctx, save, async () => {
      await api.put(`/v1/admin/support/agents/${encodeURIComponent(a.agent_id)}`, { capacity: Number(cap.value) });
      app.ok(t('common.saved'));
    }, null, { fields: { capacity: t('deskadmin.capacity') } }));
    const state = a.available ? t('desk.online') : (a.online ? t('desk.away') : t('desk.offline'));
    body.append(h('tr', { dataset: { agent: a.agent_id } }, h('td', { text: a.name }), h('td', { text: state }),
      h('td', { text: `${a.load} / ${a.capacity}` }), h('td', null, h('div', { class: 'row gap' }, cap, save))));
  }
  if (!body.children.length) body.append(h('tr', null, h('td', { colspan: 4, text: t('deskadmin.noAgents') })));
  box.replaceChildren(sectionTitle(t('deskadmin.agents')), h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('deskadmin.agents') }, h('table', { class: 'tbl', id: 'da-agent-table' },
    h('caption', { class: 'sr-only', text: t('deskadmin.agents') }),
    h('thead', null, h('tr', null, ...[t('role.agent'), t('deskadmin.state'), t('deskadmin.load'), t('deskadmin.capacity')].map((x) => h('th', { scope: 'col', text: x })))),
    body)));
}

async function hoursOf(ctx, box) {
  const { t, api, app } = ctx;
  const b = await api.get('/v1/admin/support/hours');
  const rows = DAYS.map((d) => {
    const cur = b.days?.[d];
    const open = h('input', { type: 'checkbox', checked: Boolean(cur), id: `da-open-${d}` });
    const start = h('input', { type: 'time', value: cur?.start || '09:00', id: `da-start-${d}`, 'aria-label': t('deskadmin.startOf', { day: t(`day.${d}`) }) });
    const end = h('input', { type: 'time', value: cur?.end || '21:00', id: `da-end-${d}`, 'aria-label': t('deskadmin.endOf', { day: t(`day.${d}`) }) });
    return { d, open, start, end, el: h('li', { class: 'row gap da-day' }, h('label', { class: 'check', for: open.id }, open, h('span', { text: t(`day.${d}`) })), start, end) };
  });
  const offline = h('input', { type: 'number', min: 1, max: 240, id: 'da-offline', value: String(b.offline_after_minutes || 5) });
  const save = h('button', { type: 'submit', class: 'primary', id: 'da-hours-save', text: t('common.save') });
  const errors = h('div');
  const form = h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    const days = {};
    for (const r of rows) if (r.open.checked) days[r.d] = { start: r.start.value, end: r.end.value };
    busy(ctx, save, async () => {
      await api.put('/v1/admin/support/hours', { time_zone: b.time_zone, days, closed_dates: b.closed_dates || [], offline_after_minutes: Number(offline.value) });
      app.ok(t('common.saved'));
    }, errors, { fields: { offline_after_minutes: t('deskadmin.offline') } });
  } }, h('p', { class: 'small muted', text: t('deskadmin.hoursHint', { tz: b.time_zone }) }),
  h('ul', { class: 'list' }, rows.map((r) => r.el)), field(t('deskadmin.offline'), offline), errors, save);
  box.replaceChildren(sectionTitle(t('deskadmin.hours')), form);
}

async function cannedOf(ctx, box) {
  const { t, api, app } = ctx;
  const res = await api.get('/v1/support/canned-replies');
  const list = h('ul', { class: 'list', id: 'da-canned-list' });
  for (const c of res.items || []) {
    const del = h('button', { type: 'button', class: 'link', text: t('deskadmin.delete'), 'aria-label': t('deskadmin.deleteOf', { title: c.title }) });
    del.addEventListener('click', () => busy(ctx, del, async () => {
      await api.request('DELETE', `/v1/admin/support/canned-replies/${encodeURIComponent(c.id)}`);
      app.ok(t('deskadmin.deleted'));
      await cannedOf(ctx, box);
    }));
    list.append(h('li', { class: 'da-canned' }, h('div', { class: 'row between' }, h('strong', { text: c.title }), del), h('p', { class: 'small', text: c.text })));
  }
  if (!list.children.length) list.append(emptyItem(t('deskadmin.noCanned')));
  const title = h('input', { id: 'da-canned-title', maxlength: 60 });
  const text = h('textarea', { id: 'da-canned-text', rows: 3, maxlength: 2000, placeholder: t('deskadmin.cannedPh') });
  const add = h('button', { type: 'submit', class: 'primary', id: 'da-canned-add', text: t('deskadmin.add') });
  const errors = h('div');
  const form = h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, add, async () => {
      await api.post('/v1/admin/support/canned-replies', { title: title.value.trim(), text: text.value.trim() });
      app.ok(t('common.saved'));
      await cannedOf(ctx, box);
    }, errors, { fields: { title: t('deskadmin.cannedTitle'), text: t('deskadmin.cannedText') } });
  } }, field(t('deskadmin.cannedTitle'), title), field(t('deskadmin.cannedText'), text, t('deskadmin.cannedVars')), errors, add);
  box.replaceChildren(sectionTitle(t('deskadmin.canned')), list, form);
}
