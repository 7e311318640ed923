// settings.js: a person's notification preferences — categories and kinds on/off (S1), the
// receiving window (S2), the alert style (S3) — plus language and Web Push opt-in.

import { h, field } from '../dom.js';
import { busy, sectionTitle, items } from './kit.js';
import { alertFor, unlockAudio } from '../stream.js';
import { enablePush, pushState } from '../push.js';
import { householdCard } from './household.js';

const CATS = ['service', 'exception', 'platform', 'interaction'];
const ALERTS = ['sound', 'vibration', 'badge'];
// The time zones offered, Asia/Shanghai first (the platform's), then common ones; a person's
// zone that is not here is offered too.
const ZONES = ['Asia/Shanghai', 'Asia/Hong_Kong', 'Asia/Macau', 'Asia/Taipei', 'Asia/Singapore', 'Asia/Tokyo', 'Asia/Seoul',
  'Asia/Bangkok', 'Asia/Kolkata', 'Asia/Dubai', 'Europe/London', 'Europe/Paris', 'Europe/Berlin', 'Europe/Moscow',
  'America/New_York', 'America/Chicago', 'America/Denver', 'America/Los_Angeles', 'America/Toronto', 'America/Vancouver',
  'America/Sao_Paulo', 'Australia/Sydney', 'Pacific/Auckland', 'UTC'];

export async function render(ctx) {
  const { t, i18n, root, app } = ctx;
  const [prefs, kindsRes] = await Promise.all([ctx.api.get('/v1/me/preferences'), ctx.api.get('/v1/kinds').catch(() => ({ items: [] }))]);
  root.append(h('h1', { text: t('settings.title') }));
  // Only the kinds this person's role can receive (GET /v1/kinds says each kind's audience).
  const mine = items(kindsRes).filter((k) => !Array.isArray(k.audience) || k.audience.includes(ctx.me.role));
  root.append(prefsForm(ctx, prefs, mine, '/v1/me/preferences', 'prefs'));

  const langSel = h('select', { id: 'settings-locale' }, h('option', { value: 'zh-CN', text: '简体中文', selected: i18n.locale === 'zh-CN' }), h('option', { value: 'en', text: 'English', selected: i18n.locale === 'en' }));
  langSel.addEventListener('change', () => { if (langSel.value !== i18n.locale) app.toggleLocale(); });
  root.append(h('section', { class: 'card' }, field(t('settings.language'), langSel)));

  root.append(pushCard(ctx));
  // Who of the family follows all of this customer's orders (Y5).
  if (ctx.me.role === 'customer') root.append(householdCard(ctx, ''));
}

/**
 * pushCard turns on Web Push, and always says what happened: on, not supported by this browser,
 * blocked (and where to allow it), dismissed, or refused by the browser's push service.
 */
function pushCard(ctx) {
  const { t } = ctx;
  const out = h('div', { id: 'push-status', role: 'status' });
  const say = (state) => {
    const good = state === 'on' || state === 'granted';
    out.replaceChildren(h('p', { class: good ? 'ok' : 'warn', dataset: { state }, text: t(`settings.push.${state}`) }));
  };
  const state = pushState();
  if (state === 'unsupported') {
    say('unsupported');
    return h('section', { class: 'card', id: 'push-card' }, sectionTitle(t('settings.push')), out);
  }
  if (state === 'denied') say('denied');
  const btn = h('button', { type: 'button', id: 'push-enable', text: t('settings.pushOn') });
  btn.addEventListener('click', () => busy(ctx, btn, async () => {
    out.replaceChildren();
    say(await enablePush(ctx.api));
  }, out));
  return h('section', { class: 'card', id: 'push-card' }, sectionTitle(t('settings.push')), btn, out);
}

/**
 * prefsForm edits a preferences document at url (a person's own, or the platform defaults for
 * operators). Only the documented fields are sent back.
 */
export function prefsForm(ctx, prefs, kinds, url, idPrefix) {
  const { t } = ctx;
  // Platform defaults have no time zone: each person's own zone applies.
  const personal = idPrefix !== 'defaults';
  const cats = { ...Object.fromEntries(CATS.map((c) => [c, true])), ...(prefs.categories || {}) };
  const kindOn = { ...(prefs.kinds || {}) };
  const catBoxes = CATS.map((c) => h('input', { type: 'checkbox', id: `${idPrefix}-cat-${c}`, checked: cats[c] !== false, dataset: { category: c } }));
  const kindBoxes = kinds.map((k) => h('input', { type: 'checkbox', id: `${idPrefix}-kind-${k.id}`, checked: kindOn[k.id] !== false, dataset: { kind: k.id } }));
  const win = prefs.window || null;
  const winOn = h('input', { type: 'checkbox', id: `${idPrefix}-window-on`, checked: Boolean(win) });
  const start = h('input', { type: 'time', id: `${idPrefix}-window-start`, value: win?.start || '08:00' });
  const end = h('input', { type: 'time', id: `${idPrefix}-window-end`, value: win?.end || '21:00' });
  const zone = prefs.time_zone || ctx.me.time_zone || 'Asia/Shanghai';
  const tz = h('select', { id: `${idPrefix}-tz` }, (ZONES.includes(zone) ? ZONES : [zone, ...ZONES]).map((z) => h('option', { value: z, text: z, selected: z === zone })));
  const alertSel = h('select', { id: `${idPrefix}-alert` }, ALERTS.map((a) => h('option', { value: a, text: t(`alert.${a}`), selected: (prefs.alert || 'sound') === a })));
  const catAlert = CATS.map((c) => h('select', { id: `${idPrefix}-alert-${c}`, dataset: { category: c } },
    h('option', { value: '', text: t('settings.same') }), ALERTS.map((a) => h('option', { value: a, text: t(`alert.${a}`), selected: prefs.category_alert?.[c] === a }))));
  // Start == end means all day (the planner's rule): say so rather than save it silently.
  const allDay = h('p', { class: 'muted small', id: `${idPrefix}-window-allday`, role: 'status', hidden: true, text: t('settings.windowAllDay') });
  const syncWin = () => { start.disabled = end.disabled = !winOn.checked; allDay.hidden = !(winOn.checked && start.value && start.value === end.value); };
  start.addEventListener('input', syncWin); end.addEventListener('input', syncWin);
  start.addEventListener('change', syncWin); end.addEventListener('change', syncWin);
  winOn.addEventListener('change', syncWin); syncWin();
  const out = h('div');
  const save = h('button', { class: 'primary', type: 'submit', id: `${idPrefix}-save`, text: t('common.save') });
  const test = h('button', { type: 'button', id: `${idPrefix}-test`, text: t('settings.test'), onclick: () => { unlockAudio(); alertFor(alertSel.value); } });

  const byCat = new Map(CATS.map((c) => [c, []]));
  kinds.forEach((k, i) => (byCat.get(k.category) || byCat.set(k.category, []).get(k.category)).push(
    h('label', { class: 'check kind' }, kindBoxes[i], h('span', { text: k.label || k.id }))));

  return h('form', { class: 'card form prefs', id: `${idPrefix}-form`, onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, save, async () => {
      const body = {
        categories: Object.fromEntries(catBoxes.map((b) => [b.dataset.category, b.checked])),
        kinds: Object.fromEntries(kindBoxes.map((b) => [b.dataset.kind, b.checked])),
        window: winOn.checked ? { start: start.value, end: end.value } : null,
        time_zone: personal ? tz.value : '',
        alert: alertSel.value,
        category_alert: Object.fromEntries(catAlert.filter((s) => s.value).map((s) => [s.dataset.category, s.value])),
      };
      // The time zone is the profile's: a new one is set there first (PATCH /v1/me).
      if (personal && tz.value !== (ctx.me.time_zone || prefs.time_zone)) {
        await ctx.api.patch('/v1/me', { time_zone: tz.value });
        ctx.me.time_zone = tz.value;
      }
      await ctx.api.put(url, body);
      out.replaceChildren(h('p', { class: 'ok', id: `${idPrefix}-saved`, text: allDay.hidden ? t('common.saved') : `${t('common.saved')} · ${t('settings.windowAllDay')}` }));
    }, out);
  } },
  sectionTitle(t('settings.categories')),
  h('p', { class: 'muted small', text: t('settings.catNote.service') }),
  CATS.map((c, i) => h('div', { class: 'cat-block' },
    h('label', { class: 'check strong' }, catBoxes[i], h('span', { text: t(`cat.${c}`) })),
    byCat.get(c).length ? h('details', { class: 'kinds' }, h('summary', { text: t('settings.kinds') }), byCat.get(c)) : null)),
  sectionTitle(t('settings.window')),
  h('label', { class: 'check' }, winOn, h('span', { text: t('settings.windowOn') })),
  h('div', { class: 'row gap' }, field(t('settings.windowStart'), start), field(t('settings.windowEnd'), end)),
  allDay,
  personal ? field(t('settings.tz'), tz) : null,
  sectionTitle(t('settings.alert')),
  h('div', { class: 'row gap align-end' }, field(t('settings.alert'), alertSel), test),
  h('details', null, h('summary', { text: t('settings.perCategory') }), CATS.map((c, i) => field(t(`cat.${c}`), catAlert[i]))),
  out, save);
}
