// wechat.js: WeChat subscribe messages for operators (Y3) — which template carries each kind worth
// a one-time authorisation, the page a tap opens, and the notice variable behind each template
// field (its key names its type and limit); and a person's binding and ledger.

import { h, field, replace } from '../dom.js';
import { busy, emptyItem, sectionTitle, items } from './kit.js';

export async function render(ctx) {
  const { t, root, api } = ctx;
  root.append(h('h1', { text: t('wx.title') }));
  const list = h('section', { class: 'card', id: 'wx-templates' });
  const edit = h('section', { class: 'card', id: 'wx-edit' });
  const ledger = h('section', { class: 'card', id: 'wx-ledger' });
  root.append(list, edit, ledger);
  let doc;
  const load = async () => {
    doc = await api.get('/v1/admin/wechat/templates');
    showList(ctx, list, doc, (tpl) => showForm(ctx, edit, doc, tpl, load), load);
    return doc;
  };
  try {
    await load();
    showForm(ctx, edit, doc, null, load);
  } catch (e) { list.append(ctx.app.problem(e)); }
  showLedger(ctx, ledger);
}

function kindName(ctx, doc, id) {
  const k = (doc.kinds || []).find((x) => x.id === id);
  return k ? ctx.i18n.text(k.name) : id;
}

function sourceName(ctx, doc, src) {
  if (src.startsWith('text:')) return ctx.i18n.pair(ctx.t('wx.fixed'), src.slice(5));
  const s = (doc.sources || []).find((x) => x.id === src);
  return s ? ctx.i18n.text(s.name) : src;
}

/** typeOf is a field key's type: the key without its number ("thing1" is a thing). */
function typeOf(key) { return String(key || '').replace(/[0-9]+$/, ''); }

function limitText(ctx, doc, key) {
  const ft = (doc.field_types || []).find((x) => x.type === typeOf(key));
  if (!ft) return ctx.t('wx.unknownType');
  return ft.limit ? ctx.t('wx.limit', { type: ft.type, n: ft.limit }) : ft.type;
}

function showList(ctx, box, doc, onEdit, reload) {
  const { t } = ctx;
  const rows = items(doc);
  replace(box, sectionTitle(t('wx.templates')),
    doc.configured ? null : h('p', { class: 'muted', id: 'wx-not-configured', text: t('wx.notConfigured') }),
    h('p', { class: 'muted small', text: t('wx.policy') }),
    h('ul', { class: 'list', id: 'wx-list' }, rows.length ? rows.map((tpl) => h('li', { class: 'wx-item', dataset: { kind: tpl.kind } },
      h('div', { class: 'row gap wrap' },
        h('strong', { text: kindName(ctx, doc, tpl.kind) }),
        h('span', { class: 'chip', text: tpl.active ? t('wx.active') : t('wx.inactive') }),
        h('code', { class: 'small', text: tpl.template_id })),
      tpl.title ? h('p', { class: 'small', text: tpl.title }) : null,
      tpl.page ? h('p', { class: 'muted small', text: ctx.i18n.pair(t('wx.page'), tpl.page) }) : null,
      h('ul', { class: 'wx-fields small' }, tpl.fields.map((f) => h('li', null, h('code', { text: f.key }),
        ` ← ${sourceName(ctx, doc, f.source)} `, h('span', { class: 'muted', text: `(${limitText(ctx, doc, f.key)})` })))),
      h('div', { class: 'row gap' },
        h('button', { type: 'button', class: 'wx-edit', text: t('wx.edit'), onclick: () => onEdit(tpl) }),
        h('button', { type: 'button', class: 'wx-delete danger', text: t('wx.delete'), onclick: (ev) => busy(ctx, ev.currentTarget, async () => {
          await ctx.api.request('DELETE', `/v1/admin/wechat/templates/${encodeURIComponent(tpl.id)}`);
          ctx.app.ok(t('wx.deleted'));
          await reload();
        }) }))))
      : emptyItem(t('wx.none'))));
}

/** showForm edits one mapping (tpl), or makes a new one when tpl is null. */
function showForm(ctx, box, doc, tpl, reload) {
  const { t, i18n } = ctx;
  const taken = new Set(items(doc).map((x) => x.kind));
  const kinds = (doc.kinds || []).filter((k) => !taken.has(k.id) || k.id === tpl?.kind);
  const kind = h('select', { id: 'wx-kind', required: true }, kinds.map((k) => h('option', { value: k.id, text: i18n.text(k.name), selected: k.id === tpl?.kind })));
  const tid = h('input', { id: 'wx-template-id', required: true, maxlength: 128, autocomplete: 'off', value: tpl?.template_id || '', placeholder: 'xT3…' });
  const title = h('input', { id: 'wx-title', maxlength: 50, value: tpl?.title || '', placeholder: t('wx.titlePh') });
  const page = h('input', { id: 'wx-page', maxlength: 512, value: tpl?.page || '', placeholder: 'pages/order/detail?id={order_id}' });
  const active = h('input', { type: 'checkbox', id: 'wx-active', checked: tpl ? tpl.active : true });
  const rows = h('ol', { class: 'wx-rows', id: 'wx-rows' });
  const addRow = (f = { key: '', source: 'title' }) => {
    const n = rows.children.length + 1;
    const fixed = f.source.startsWith('text:');
    const key = h('input', { class: 'wx-key', required: true, maxlength: 40, value: f.key, placeholder: `thing${n}`, 'aria-label': t('wx.key', { n }) });
    const hint = h('span', { class: 'field-hint wx-limit', text: f.key ? limitText(ctx, doc, f.key) : '' });
    key.addEventListener('input', () => { hint.textContent = key.value ? limitText(ctx, doc, key.value) : ''; });
    const src = h('select', { class: 'wx-source', 'aria-label': t('wx.source', { n }) },
      (doc.sources || []).map((s) => h('option', { value: s.id, text: i18n.text(s.name), selected: s.id === f.source })),
      h('option', { value: 'text:', text: t('wx.fixed'), selected: fixed }));
    const text = h('input', { class: 'wx-text', maxlength: 95, value: fixed ? f.source.slice(5) : '', hidden: !fixed, 'aria-label': t('wx.fixedText', { n }) });
    src.addEventListener('change', () => { text.hidden = src.value !== 'text:'; });
    const remove = h('button', { type: 'button', class: 'wx-remove', text: '×', 'aria-label': t('wx.remove', { n }), onclick: () => li.remove() });
    const li = h('li', { class: 'row gap wrap align-end wx-row' }, key, src, text, remove, hint);
    rows.append(li);
  };
  for (const f of tpl?.fields || []) addRow(f);
  if (!rows.children.length) addRow({ key: 'thing1', source: 'order.item' });
  const out = h('div');
  const save = h('button', { class: 'primary', type: 'submit', id: 'wx-save', text: t('common.save') });
  replace(box, sectionTitle(tpl ? t('wx.editTitle', { kind: kindName(ctx, doc, tpl.kind) }) : t('wx.new')),
    h('form', { class: 'form', id: 'wx-form', onsubmit: (ev) => {
      ev.preventDefault();
      busy(ctx, save, async () => {
        const fields = [...rows.querySelectorAll('.wx-row')].map((li) => {
          const s = li.querySelector('.wx-source').value;
          return { key: li.querySelector('.wx-key').value.trim(), source: s === 'text:' ? `text:${li.querySelector('.wx-text').value}` : s };
        });
        const body = { kind: kind.value, template_id: tid.value.trim(), title: title.value, page: page.value.trim(), fields, active: active.checked };
        if (tpl) await ctx.api.put(`/v1/admin/wechat/templates/${encodeURIComponent(tpl.id)}`, body);
        else await ctx.api.post('/v1/admin/wechat/templates', body);
        ctx.app.ok(t('common.saved'));
        showForm(ctx, box, await reload(), null, reload);
      }, out);
    } },
    field(t('wx.kind'), kind), field(t('wx.templateId'), tid), field(t('wx.titleLabel'), title),
    field(t('wx.page'), page, t('wx.pageHint')),
    h('fieldset', { class: 'doc-set' }, h('legend', { text: t('wx.fields') }), rows,
      h('button', { type: 'button', id: 'wx-add-field', text: t('wx.addField'), onclick: () => addRow({ key: '', source: 'title' }) })),
    h('label', { class: 'row gap' }, active, h('span', { text: t('wx.activeLabel') })),
    out, h('div', { class: 'row gap' }, save, tpl ? h('button', { type: 'button', id: 'wx-cancel', text: t('common.cancel'), onclick: () => showForm(ctx, box, { ...doc }, null, reload) }) : null)));
}

/** showLedger looks up a person's binding, authorisations left and newest entries. */
function showLedger(ctx, box) {
  const { t, i18n } = ctx;
  const who = h('input', { id: 'wx-person', required: true, maxlength: 64, autocomplete: 'off', placeholder: 'c-lin' });
  const go = h('button', { type: 'submit', id: 'wx-lookup', text: t('wx.lookup') });
  const out = h('div', { id: 'wx-ledger-out' });
  box.append(sectionTitle(t('wx.ledger')), h('form', { class: 'row gap wrap align-end', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      const l = await ctx.api.get(`/v1/wechat/people/${encodeURIComponent(who.value.trim())}/ledger`);
      replace(out,
        h('p', { id: 'wx-binding', text: l.binding ? i18n.pair(t('wx.openid'), l.binding.openid) : t('wx.unbound') }),
        h('ul', { class: 'list', id: 'wx-balances' }, l.balances.length ? l.balances.map((b) => h('li', null, h('code', { text: b.template_id }), ' ',
          h('strong', { text: t('wx.left', { n: b.balance }) }))) : emptyItem(t('wx.noBalance'))),
        h('ul', { class: 'list small', id: 'wx-entries' }, l.entries.map((e) => h('li', null,
          `${i18n.time(e.created_at)} · ${t(`wx.reason.${e.reason}`)} ${e.delta > 0 ? '+' : ''}${e.delta} → ${e.balance_after} · `, h('code', { text: e.template_id })))));
    }, out);
  } }, field(t('wx.person'), who), go), out);
}
