// platform.js: operator settings — reminder lead time (platform-wide and per item), refund and
// change policies, importance per kind, retention, and default preferences. Each section edits
// one admin document; unknown fields are shown as plain inputs of their type, so the page keeps
// working as the server adds settings.

import { h, field } from '../dom.js';
import { busy, sectionTitle, items } from './kit.js';
import { prefsForm } from './settings.js';

export async function render(ctx) {
  const { t, root } = ctx;
  root.append(h('h1', { text: t('platform.title') }));
  const sections = [
    ['policies', t('platform.policies'), '/v1/admin/policies'],
    ['retention', t('platform.retention'), '/v1/admin/retention'],
  ];
  for (const [id, title, url] of sections) {
    const sec = h('section', { class: 'card', id: `platform-${id}` }, sectionTitle(title));
    root.append(sec);
    Promise.all([ctx.api.get(url), ctx.app.catalogue()]).then(([doc, cat]) => sec.append(docForm(ctx, id, url, doc, cat)), (e) => sec.append(ctx.app.problem(e)));
  }
  const imp = h('section', { class: 'card', id: 'platform-importance' }, sectionTitle(t('platform.importance')));
  root.append(imp);
  ctx.api.get('/v1/kinds').then((res) => imp.append(importanceForm(ctx, items(res))), (e) => imp.append(ctx.app.problem(e)));
  const defs = h('section', { class: 'card', id: 'platform-defaults' }, sectionTitle(t('platform.defaults')));
  root.append(defs);
  try {
    const [doc, kinds] = await Promise.all([ctx.api.get('/v1/admin/default-preferences'), ctx.api.get('/v1/kinds').catch(() => ({ items: [] }))]);
    defs.append(prefsForm(ctx, doc, items(kinds), '/v1/admin/default-preferences', 'defaults'));
  } catch (e) { defs.append(ctx.app.problem(e)); }
}

/** importanceForm sets each kind's importance; kinds left at the catalogue's default are not stored. */
function importanceForm(ctx, kinds) {
  const { t } = ctx;
  const out = h('div');
  const save = h('button', { class: 'primary', type: 'submit', id: 'importance-save', text: t('common.save') });
  const sels = kinds.map((k) => h('select', { id: `importance-${k.id.replace(/[^A-Za-z0-9_-]/g, '_')}`, dataset: { kind: k.id, default: k.default_importance } },
    IMPORTANCE.map((x) => h('option', { value: x, text: t(`imp.${x}`), selected: x === k.importance }))));
  return h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, save, async () => {
      const body = Object.fromEntries(sels.filter((s) => s.value !== s.dataset.default).map((s) => [s.dataset.kind, s.value]));
      await ctx.api.put('/v1/admin/importance', body);
      out.replaceChildren(h('p', { class: 'ok', id: 'importance-saved', text: t('common.saved') }));
    }, out);
  } }, h('div', { class: 'imp-grid' }, kinds.map((k, i) => field(`${k.label} · ${t(`cat.${k.category}`)}`, sels[i]))), out, save);
}

const READONLY = new Set(['updated_at', 'created_at', 'updated_by']);

/** docForm renders an editable form for a JSON document and PUTs the edited copy back. */
function docForm(ctx, id, url, doc, catalogue) {
  const { t, i18n } = ctx;
  const out = h('div');
  const save = h('button', { class: 'primary', type: 'submit', id: `${id}-save`, text: t('common.save') });
  const read = [];
  const shown = { ...doc };
  let perItem = null;
  if (shown.reminder_lead_by_item && typeof shown.reminder_lead_by_item === 'object') {
    // Per-item reminder lead: one field per catalogue item; empty means the platform default.
    const cur = shown.reminder_lead_by_item;
    delete shown.reminder_lead_by_item;
    const inputs = [...catalogue.values()].map((it) => [it.id, h('input', { type: 'number', min: 1, id: `${id}-lead-${it.id}`, value: cur[it.id] ?? '', placeholder: String(doc.reminder_lead_minutes ?? '') })]);
    read.push((next) => { next.reminder_lead_by_item = Object.fromEntries(inputs.filter(([, el]) => el.value !== '').map(([k, el]) => [k, Number(el.value)])); });
    perItem = h('fieldset', { class: 'doc-set' }, h('legend', { text: t('platform.leadByItem') }),
      inputs.map(([k, el]) => field(i18n.text(catalogue.get(k).name), el)));
  }
  const body = h('div', null, editor(ctx, shown, id, [], read, 0), perItem);
  return h('form', { class: 'form doc', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, save, async () => {
      const next = structuredClone(doc);
      for (const r of read) r(next);
      for (const k of READONLY) delete next[k];
      await ctx.api.put(url, next);
      out.replaceChildren(h('p', { class: 'ok', id: `${id}-saved`, text: t('common.saved') }));
    }, out);
  } }, body, out, save);
}

/** editor builds inputs for obj; each input registers a reader that writes its value back. */
function editor(ctx, obj, prefix, keys, read, depth) {
  const { i18n, t } = ctx;
  const wrap = h('div', { class: depth ? 'doc-group' : 'doc-root' });
  const entries = Array.isArray(obj) ? obj.map((v, i) => [i, v]) : Object.entries(obj || {});
  for (const [k, v] of entries) {
    if (READONLY.has(k)) continue;
    const at = [...keys, k];
    const id = `${prefix}-${at.join('-')}`.replace(/[^A-Za-z0-9_-]/g, '_');
    const label = i18n.label('key', k);
    const setter = (next, value) => { let o = next; for (const kk of keys) o = o[kk]; o[k] = value; };
    if (v && typeof v === 'object' && !(v['zh-CN'] !== undefined && v.en !== undefined)) {
      wrap.append(h('fieldset', { class: 'doc-set' }, h('legend', { text: label }), editor(ctx, v, prefix, at, read, depth + 1)));
    } else if (typeof v === 'boolean') {
      const b = h('input', { type: 'checkbox', id, checked: v });
      read.push((next) => setter(next, b.checked));
      wrap.append(h('label', { class: 'check' }, b, h('span', { text: label })));
    } else if (typeof v === 'number') {
      const n = h('input', { type: 'number', id, value: String(v), step: 'any' });
      read.push((next) => setter(next, Number(n.value)));
      wrap.append(field(label, n));
    } else if (IMPORTANCE.includes(v)) {
      const sel = h('select', { id }, IMPORTANCE.map((x) => h('option', { value: x, text: `${t(`imp.${x}`)} (${x})`, selected: x === v })));
      read.push((next) => setter(next, sel.value));
      wrap.append(field(label, sel));
    } else if (v && typeof v === 'object') {
      wrap.append(field(label, h('span', { text: i18n.text(v) })));
    } else {
      const s = h('input', { id, value: v ?? '' });
      read.push((next) => setter(next, v === null && s.value === '' ? null : s.value));
      wrap.append(field(label, s));
    }
  }
  return wrap;
}

const IMPORTANCE = ['critical', 'high', 'normal', 'low'];
