// campaigns.js: the operators' campaigns (P1, P2) — write a promotion or a new-service
// announcement in both languages (items, rules, audience with a live estimate, schedule), preview
// it as a customer sees it, and list campaigns with their stats; cancel one that has not gone.

import { h, field } from '../dom.js';
import { busy, sectionTitle, items, emptyState, toLocalInput, fromLocalInput } from './kit.js';

const AUDIENCES = ['all', 'new_customers', 'items', 'areas', 'list'];

/** rulesText renders rules as the server does (model.PromotionRule.Text), for the preview. */
export function rulesText(rules, locale) {
  const yuan = (c) => (c % 100 === 0 ? `¥${c / 100}` : `¥${(c / 100).toFixed(2)}`);
  const en = locale === 'en';
  return rules.map((r) => {
    if (r.type === 'spend_save') return en ? `Spend ${yuan(r.threshold_cents)}, save ${yuan(r.save_cents)}` : `满${yuan(r.threshold_cents)}减${yuan(r.save_cents)}`;
    if (r.type === 'percent_off') {
      const tenths = 100 - r.percent;
      const zhe = `${Math.floor(tenths / 10)}${tenths % 10 ? `.${tenths % 10}` : ''}`;
      let s = en ? `${r.percent}% off` : `${zhe}折`;
      if (r.cap_cents > 0) s += en ? `, up to ${yuan(r.cap_cents)} off` : `，最多减${yuan(r.cap_cents)}`;
      return s;
    }
    if (r.type === 'new_customer') return en ? 'New customers only (first order)' : '仅限新客户（首次下单）';
    return '';
  }).filter(Boolean).join(en ? '; ' : '；');
}

export async function render(ctx) {
  const { t, root } = ctx;
  const catalogue = await ctx.app.catalogue().catch(() => new Map());
  const listSec = h('section', { class: 'card', id: 'campaign-list' }, sectionTitle(t('campaign.list')));
  root.append(h('h1', { text: t('campaign.title') }), writeForm(ctx, catalogue, () => loadList()), listSec);
  const list = h('ul', { class: 'list campaigns' });
  listSec.append(list);
  async function loadList() {
    try {
      const res = await ctx.api.get('/v1/campaigns?limit=50');
      if (!ctx.current()) return;
      const rows = items(res).map((c) => campaignRow(ctx, c, loadList));
      list.replaceChildren(...(rows.length ? rows : [h('li', null, emptyState(t('campaign.none')))]));
    } catch (e) { list.replaceChildren(ctx.app.problem(e)); }
  }
  await loadList();
}

function campaignRow(ctx, c, reload) {
  const { t, i18n } = ctx;
  const st = c.stats || {};
  const stats = ['audience', 'pushed', 'capped', 'deferred', 'delivered', 'read', 'opened'].map((k) =>
    h('span', { class: 'stat', dataset: { stat: k } }, h('span', { class: 'muted', text: t(`campaign.stat.${k}`) }), h('strong', { text: String(st[k] ?? 0) })));
  const cancel = c.status === 'scheduled'
    ? h('button', { type: 'button', class: 'link danger', text: t('campaign.cancel'), onclick: (ev) => busy(ctx, ev.currentTarget, async () => {
      await ctx.api.post(`/v1/campaigns/${encodeURIComponent(c.id)}/cancel`);
      ctx.app.toast(t('campaign.cancelled'), 'ok');
      await reload();
    }) }) : null;
  return h('li', { class: 'card campaign-row', dataset: { id: c.id, status: c.status } },
    h('div', { class: 'row between' },
      h('a', { href: `#/campaigns/${encodeURIComponent(c.id)}`, class: 'campaign-title' }, h('strong', { text: i18n.text(c.title) })),
      h('span', { class: `status status-${c.status}`, text: t(`campaign.status.${c.status}`) })),
    h('div', { class: 'muted small', text: `${t(`campaign.kind.${c.kind}`)} · ${t(`campaign.aud.${c.audience?.kind}`)} · ${t('campaign.sendAt')} ${i18n.time(c.send_at)}` }),
    h('div', { class: 'stats' }, stats), cancel);
}

function writeForm(ctx, catalogue, onSent) {
  const { t, i18n } = ctx;
  const input = (id, attrs = {}) => h('input', { id, ...attrs });
  const area = (id) => h('textarea', { id, rows: 3 });
  const kind = h('select', { id: 'cmp-kind' }, ['promotion', 'new_service'].map((k) => h('option', { value: k, text: t(`campaign.kind.${k}`) })));
  const titleZh = input('cmp-title-zh', { maxlength: 100 }); const titleEn = input('cmp-title-en', { maxlength: 100 });
  const bodyZh = area('cmp-body-zh'); const bodyEn = area('cmp-body-en');
  const itemBoxes = [...catalogue.values()].map((it) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: it.id, class: 'cmp-item', dataset: { item: it.id } }), h('span', { text: i18n.text(it.name) })));
  const threshold = input('cmp-threshold', { type: 'number', min: 0, step: '0.01' });
  const save = input('cmp-save', { type: 'number', min: 0, step: '0.01' });
  const percent = input('cmp-percent', { type: 'number', min: 0, max: 99 });
  const cap = input('cmp-cap', { type: 'number', min: 0, step: '0.01' });
  const newOnly = input('cmp-new-only', { type: 'checkbox' });
  const audKind = h('select', { id: 'cmp-audience', 'aria-label': t('campaign.audience') }, AUDIENCES.map((k) => h('option', { value: k, text: t(`campaign.aud.${k}`) })));
  const audItems = [...catalogue.values()].map((it) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', value: it.id, class: 'cmp-aud-item' }), h('span', { text: i18n.text(it.name) })));
  const audItemsBox = h('div', { class: 'checks', id: 'cmp-aud-items' }, audItems);
  const areas = input('cmp-areas', { placeholder: t('campaign.areasPh') });
  const people = area('cmp-people');
  const estimate = h('p', { class: 'muted', id: 'cmp-estimate' });
  const when = h('select', { id: 'cmp-when' }, ['now', 'later'].map((k) => h('option', { value: k, text: t(`campaign.when.${k}`) })));
  const soon = new Date(Date.now() + 3600e3);
  const sendAt = input('cmp-send-at', { type: 'datetime-local', value: toLocalInput(soon), hidden: true });
  const startsAt = input('cmp-starts', { type: 'datetime-local', value: toLocalInput(new Date()) });
  const endsAt = input('cmp-ends', { type: 'datetime-local', value: toLocalInput(new Date(Date.now() + 7 * 86400e3)) });
  const preview = h('div', { class: 'card preview', id: 'cmp-preview' });
  // The optional image: uploaded at once (POST /v1/files), the campaign carries its id.
  let imageID = '';
  const imageNote = h('span', { class: 'muted small', id: 'cmp-image-note' });
  const image = h('input', { type: 'file', id: 'cmp-image', accept: 'image/png,image/jpeg,image/webp', onchange: async () => {
    const f = image.files?.[0];
    imageID = ''; imageNote.textContent = '';
    if (!f) return;
    const fd = new FormData();
    fd.append('file', f, f.name);
    try {
      const res = await fetch('/v1/files', { method: 'POST', body: fd, headers: { Authorization: `Bearer ${ctx.api.token}`, Accept: 'application/json' } });
      const doc = await res.json().catch(() => ({}));
      if (!res.ok || !doc.id) throw new Error(doc.detail || String(res.status));
      imageID = doc.id; imageNote.textContent = t('campaign.imageDone');
    } catch { imageNote.textContent = t('campaign.imageFailed'); }
  } });
  const out = h('div');
  const submit = h('button', { class: 'primary', type: 'submit', id: 'cmp-send', text: t('campaign.send') });

  const cents = (el) => Math.round(Number(el.value || 0) * 100);
  const rules = () => {
    const r = [];
    if (threshold.value && save.value) r.push({ type: 'spend_save', threshold_cents: cents(threshold), save_cents: cents(save) });
    if (percent.value) r.push({ type: 'percent_off', percent: Number(percent.value), cap_cents: cents(cap) });
    if (newOnly.checked) r.push({ type: 'new_customer' });
    return kind.value === 'promotion' ? r : [];
  };
  const audience = () => {
    const a = { kind: audKind.value };
    if (a.kind === 'items') a.service_item_ids = audItems.map((l) => l.querySelector('input')).filter((b) => b.checked).map((b) => b.value);
    if (a.kind === 'areas') a.areas = areas.value.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
    if (a.kind === 'list') a.person_ids = people.value.split(/[,，\s]+/).map((s) => s.trim()).filter(Boolean);
    return a;
  };
  const body = () => {
    const b = { kind: kind.value, title: { 'zh-CN': titleZh.value.trim(), en: titleEn.value.trim() },
      body: { 'zh-CN': bodyZh.value.trim(), en: bodyEn.value.trim() },
      service_item_ids: itemBoxes.map((l) => l.querySelector('input')).filter((b2) => b2.checked).map((b2) => b2.value),
      rules: rules(), audience: audience() };
    if (imageID) b.image_file_id = imageID;
    if (when.value === 'later') b.send_at = fromLocalInput(sendAt.value);
    if (kind.value === 'promotion') { b.starts_at = fromLocalInput(startsAt.value); b.ends_at = fromLocalInput(endsAt.value); }
    return b;
  };
  const paintPreview = () => {
    const b = body();
    const lang = i18n.locale;
    const names = b.service_item_ids.map((id) => i18n.text(catalogue.get(id)?.name)).join('、');
    preview.replaceChildren(h('div', { class: 'muted small', text: `${t('campaign.preview')} · ${t('cat.platform')}` }),
      h('strong', { class: 'note-title', text: b.title[lang] || b.title['zh-CN'] || '—' }),
      h('p', { class: 'note-body', text: b.body[lang] || b.body['zh-CN'] || '' }),
      b.rules.length ? h('p', { class: 'rules', id: 'cmp-preview-rules', text: rulesText(b.rules, lang) }) : null,
      names ? h('p', { class: 'muted small', text: i18n.pair(t('campaign.items'), names) }) : null,
      b.starts_at ? h('p', { class: 'muted small', text: i18n.pair(t('campaign.period'), `${i18n.time(b.starts_at)} – ${i18n.time(b.ends_at)}`) }) : null);
  };
  let estTimer = 0; let estSeq = 0;
  const paintAudience = () => {
    audItemsBox.hidden = audKind.value !== 'items';
    areas.parentElement.hidden = audKind.value !== 'areas';
    people.parentElement.hidden = audKind.value !== 'list';
    clearTimeout(estTimer);
    estTimer = setTimeout(async () => {
      const my = ++estSeq;
      try {
        const e = await ctx.api.post('/v1/campaigns/estimate', { kind: kind.value, audience: audience() });
        if (my === estSeq) {
          estimate.textContent = t('campaign.estimate', { n: e.audience, m: e.reachable });
          estimate.dataset.count = String(e.audience);
          estimate.dataset.reachable = String(e.reachable);
        }
      } catch { if (my === estSeq) { estimate.textContent = t('campaign.estimateNone'); delete estimate.dataset.count; } }
    }, 250);
  };
  const promoOnly = h('fieldset', { class: 'doc-set', id: 'cmp-rules' }, h('legend', { text: t('campaign.rules') }),
    h('div', { class: 'row wrap' }, field(t('campaign.threshold'), threshold), field(t('campaign.save'), save)),
    h('div', { class: 'row wrap' }, field(t('campaign.percent'), percent), field(t('campaign.cap'), cap)),
    h('label', { class: 'check' }, newOnly, h('span', { text: t('campaign.newOnly') })),
    h('div', { class: 'row wrap' }, field(t('campaign.starts'), startsAt), field(t('campaign.ends'), endsAt)));
  const form = h('form', { class: 'form card', id: 'campaign-form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, submit, async () => {
      const c = await ctx.api.post('/v1/campaigns', body());
      out.replaceChildren(h('p', { class: 'ok', id: 'cmp-sent', text: t(c.status === 'scheduled' ? 'campaign.scheduled' : 'campaign.sent') }));
      await onSent();
    }, out);
  } }, sectionTitle(t('campaign.write')), field(t('campaign.kind'), kind),
  h('div', { class: 'row wrap' }, field(t('campaign.titleZh'), titleZh), field(t('campaign.titleEn'), titleEn)),
  h('div', { class: 'row wrap' }, field(t('campaign.bodyZh'), bodyZh), field(t('campaign.bodyEn'), bodyEn)),
  field(t('campaign.image'), image, ''), imageNote,
  h('fieldset', { class: 'doc-set' }, h('legend', { text: t('campaign.items') }), h('div', { class: 'checks' }, itemBoxes)),
  promoOnly,
  h('fieldset', { class: 'doc-set' }, h('legend', { text: t('campaign.audience') }), audKind, audItemsBox,
    field(t('campaign.areas'), areas), field(t('campaign.people'), people), estimate),
  h('div', { class: 'row wrap' }, field(t('campaign.when'), when), sendAt), preview, out, submit);
  form.addEventListener('input', () => { paintPreview(); promoOnly.hidden = kind.value !== 'promotion'; sendAt.hidden = when.value !== 'later'; });
  form.addEventListener('change', (ev) => { paintPreview(); promoOnly.hidden = kind.value !== 'promotion'; sendAt.hidden = when.value !== 'later'; if (ev.target === audKind || ev.target === kind || ev.target.closest?.('#cmp-aud-items') || ev.target === areas || ev.target === people) paintAudience(); });
  areas.addEventListener('input', paintAudience);
  people.addEventListener('input', paintAudience);
  paintPreview();
  paintAudience();
  return form;
}
