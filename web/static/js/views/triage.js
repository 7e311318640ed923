// triage.js: the operators' feedback triage (I4) — weekly counts by topic and status,
// filters (topic, status, tag, text, dates), a table of feedback where each row opens an editor
// for tags, status and the answer, and a CSV export of what the filters select.

import { h, field } from '../dom.js';
import { qs, ApiError } from '../api.js';
import { busy, sectionTitle, emptyState, items } from './kit.js';
import { TOPICS, FB_STATUSES, fbStatusChip, historyLine } from './feedback.js';
import { imageStrip } from './images.js';

export async function render(ctx) {
  const { t, root, api } = ctx;
  root.append(h('h1', { text: t('fbt.title') }));

  // Weekly counts.
  const weeks = h('section', { class: 'card', id: 'fbt-weeks' }, sectionTitle(t('fbt.weekly')));
  root.append(weeks);
  api.get('/v1/admin/feedback/weekly').then((res) => weeks.append(weeklyTable(ctx, items(res))), (e) => weeks.append(ctx.app.problem(e)));

  // Filters.
  const sel = (id, values, prefix) => h('select', { id }, h('option', { value: '', text: t('inbox.all') }),
    values.map((v) => h('option', { value: v, text: t(`${prefix}.${v}`) })));
  const topic = sel('fbt-topic', TOPICS, 'fb.topic');
  const status = sel('fbt-status', FB_STATUSES, 'fb.status');
  const q = h('input', { id: 'fbt-q', type: 'search', placeholder: t('fbt.search') });
  const tag = h('input', { id: 'fbt-tag', placeholder: t('fbt.tag') });
  const from = h('input', { id: 'fbt-from', type: 'date' });
  const to = h('input', { id: 'fbt-to', type: 'date' });
  const filters = () => ({ topic: topic.value, status: status.value, q: q.value.trim(), tag: tag.value.trim(), from: from.value, to: to.value });
  const exportBtn = h('button', { type: 'button', id: 'fbt-export', text: t('fbt.export'), onclick: () => busy(ctx, exportBtn, () => exportCSV(ctx, filters())) });
  const form = h('form', { class: 'card form toolbar fbt-filters', id: 'fbt-filters', onsubmit: (ev) => { ev.preventDefault(); load(); } },
    field(t('fb.topic'), topic), field(t('fb.statusLabel'), status), field(t('fbt.search'), q), field(t('fbt.tag'), tag),
    field(t('bulk.from'), from), field(t('bulk.to'), to),
    h('div', { class: 'row gap' }, h('button', { class: 'primary', type: 'submit', id: 'fbt-apply', text: t('fbt.apply') }), exportBtn));
  for (const c of [topic, status, from, to]) c.addEventListener('change', () => load());
  root.append(form);

  const table = h('div', { class: 'fbt-table', id: 'fbt-list' });
  const more = h('button', { class: 'more', type: 'button', hidden: true, text: t('common.more') });
  root.append(table, more);
  let cursor = '';
  let loads = 0;

  async function load(append = false) {
    if (!append) cursor = '';
    const query = qs(filters());
    const mine = ++loads;
    let res;
    try { res = await api.get(`/v1/admin/feedback${qs({ ...filters(), cursor, limit: 30 })}`); } catch (e) {
      table.replaceChildren(ctx.app.problem(e)); return;
    }
    if (!ctx.current() || mine !== loads) return; // a newer filter won
    table.dataset.query = query;
    if (!append) table.replaceChildren();
    const list = items(res);
    if (!append && !list.length) table.append(emptyState(t('fbt.empty')));
    for (const f of list) table.append(await row(f));
    cursor = res.next_cursor || '';
    more.hidden = !cursor;
  }
  more.addEventListener('click', () => load(true));

  async function row(f) {
    const author = await ctx.app.person(f.author_id);
    const editor = h('div', { class: 'fbt-editor', hidden: true });
    const head = h('button', { type: 'button', class: 'fbt-row', dataset: { feedback: f.id, status: f.status }, onclick: () => {
      editor.hidden = !editor.hidden;
      if (!editor.hidden && !editor.childElementCount) openEditor(f, editor, el);
    } },
    h('span', { class: 'fbt-when muted small', text: ctx.i18n.time(f.created_at) }),
    h('span', { class: 'fbt-topic', text: t(`fb.topic.${f.topic}`) }),
    h('span', { class: 'fbt-text', text: f.text.length > 80 ? `${f.text.slice(0, 80)}…` : f.text }),
    h('span', { class: 'fbt-author muted small', text: `${author?.name || f.author_id} · ${t(`role.${f.author_role}`)}` }),
    h('span', { class: 'chips fbt-tags' }, (f.tags || []).map((x) => h('span', { class: 'chip', text: x }))),
    fbStatusChip(ctx, f.status), f.answer ? h('span', { class: 'fbt-answered small', text: t('fbt.answered') }) : null);
    const el = h('div', { class: 'card fbt-item', dataset: { feedback: f.id } }, head, editor);
    return el;
  }

  async function openEditor(f, editor, el) {
    let d;
    try { d = await api.get(`/v1/feedback/${encodeURIComponent(f.id)}`); } catch (e) { editor.append(ctx.app.problem(e)); return; }
    const st = h('select', { class: 'fbt-set-status' }, FB_STATUSES.map((s) => h('option', { value: s, text: t(`fb.status.${s}`), selected: s === d.status })));
    const tags = h('input', { class: 'fbt-set-tags', value: (d.tags || []).join(', '), placeholder: t('fbt.tagsPh') });
    const answer = h('textarea', { class: 'fbt-set-answer', rows: 3, maxlength: 2000, value: d.answer || '', placeholder: t('fbt.answerPh') });
    const out = h('div');
    const save = h('button', { class: 'primary fbt-save', type: 'submit', text: t('fbt.save') });
    const hist = h('ol', { class: 'timeline fb-history' }, (d.history || []).map((e) => historyLine(ctx, e)));
    editor.append(
      h('p', { class: 'fb-text', text: d.text }), imageStrip(ctx, d.file_ids),
      d.order_id ? h('a', { href: `#/orders/${encodeURIComponent(d.order_id)}`, text: t('fbt.order') }) : null,
      h('form', { class: 'form', onsubmit: (ev) => {
        ev.preventDefault();
        busy(ctx, save, async () => {
          const body = { version: d.version };
          if (st.value !== d.status) body.status = st.value;
          const newTags = tags.value.split(/[,，]/).map((x) => x.trim()).filter(Boolean);
          if (newTags.join('\n') !== (d.tags || []).join('\n')) body.tags = newTags;
          if (answer.value.trim() && answer.value.trim() !== (d.answer || '')) body.answer = answer.value.trim();
          if (Object.keys(body).length === 1) return;
          const nd = await api.patch(`/v1/admin/feedback/${encodeURIComponent(f.id)}`, body);
          ctx.app.toast(t('common.saved'), 'ok');
          el.replaceWith(await row(nd));
        }, out);
      } }, field(t('fb.statusLabel'), st), field(t('fbt.tags'), tags), field(t('fb.answer'), answer), out, save),
      h('details', null, h('summary', { text: t('fb.history') }), hist));
  }

  await load();
}

function weeklyTable(ctx, weeks) {
  const { t } = ctx;
  const recent = weeks.slice(-8);
  if (!recent.some((w) => w.total)) return emptyState(t('fbt.noWeeks'));
  const cols = [...TOPICS.map((x) => ['topic', x]), ...FB_STATUSES.map((x) => ['status', x])];
  return h('div', { class: 'table-wrap', tabindex: '0', role: 'region', 'aria-label': t('fbt.weekly') }, h('table', { class: 'fbt-weeks' },
    h('thead', null, h('tr', null, h('th', { text: t('fbt.week') }), h('th', { text: t('fbt.total') }),
      cols.map(([k, x]) => h('th', { class: `col-${k}`, text: t(k === 'topic' ? `fb.topic.${x}` : `fb.status.${x}`) })))),
    h('tbody', null, recent.map((w) => h('tr', { dataset: { week: w.week } }, h('td', { text: w.week }), h('td', { class: 'num', text: String(w.total) }),
      cols.map(([k, x]) => h('td', { class: 'num', text: String((k === 'topic' ? w.by_topic : w.by_status)?.[x] || 0) })))))));
}

/** exportCSV downloads the filtered feedback; the token goes in a header, never in a link. */
async function exportCSV(ctx, f) {
  const res = await fetch(`/v1/admin/feedback/export${qs(f)}`, { headers: { Authorization: `Bearer ${ctx.api.token}` } });
  if (!res.ok) throw new ApiError(res.status, await res.json().catch(() => ({})));
  const blob = await res.blob();
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `feedback-${new Date().toISOString().slice(0, 10)}.csv`, id: 'fbt-download', hidden: true });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(url); a.remove(); }, 1000);
}
