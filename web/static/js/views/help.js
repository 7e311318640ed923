// help.js: 联系客服 for customers and workers (I3) — whether support answers now, my support
// conversations, a new one (optionally about one of my orders, with images), and one conversation
// with the expected-reply notice, who is serving me, and the rating after every resolve. Opened from
// the menu (#/help) or from an order (#/help?order=ID); a conversation is #/help/ID.

import { h, field, replace } from '../dom.js';
import { uuid } from '../api.js';
import { busy, emptyItem, items, itemName, sectionTitle } from './kit.js';
import { imagePicker } from './images.js';
import { chatPane, supportStatusChip } from './supportchat.js';

export async function render(ctx) {
  if (ctx.params.id) return conversation(ctx, ctx.params.id);
  const { t, root, api, app } = ctx;
  const orderParam = new URLSearchParams(location.hash.split('?')[1] || '').get('order') || '';
  root.append(h('h1', { text: t('help.title') }));
  const av = await api.get('/v1/support/availability');
  if (!ctx.current()) return;
  root.append(expectNotice(ctx, av, 'help-expect'));

  const subject = h('input', { id: 'help-subject', maxlength: 80, placeholder: t('help.subjectPh') });
  const order = h('select', { id: 'help-order' }, h('option', { value: '', text: t('help.noOrder') }));
  api.get('/v1/orders?limit=30').then(async (res) => {
    for (const o of items(res)) {
      const name = await itemName(ctx, o);
      order.append(h('option', { value: o.id, selected: o.id === orderParam, text: `${name} · ${ctx.i18n.time(o.appointment_at)}` }));
    }
  }, () => {});
  const text = h('textarea', { id: 'help-text', rows: 4, maxlength: 2000, placeholder: t('help.textPh') });
  const pics = imagePicker(ctx, 'help-images', 9);
  const errors = h('div');
  const submit = h('button', { class: 'primary', type: 'submit', id: 'help-submit', text: t('help.send') });
  const clientID = uuid(); // the same on a retry of this form: the server answers the conversation it opened
  root.append(h('form', { class: 'card form', id: 'help-new', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, submit, async () => {
      const v = await api.post('/v1/support/conversations', { subject: subject.value.trim(), order_id: order.value || undefined,
        client_id: clientID, text: text.value.trim(), file_ids: pics.ids() });
      app.ok(t('help.sent'), { carry: true });
      location.hash = `#/help/${encodeURIComponent(v.conversation_id)}`;
    }, errors, { fields: { text: t('help.text'), file_ids: t('img.alt') } });
  } }, h('h2', { class: 'section-title', text: t('help.new') }), field(t('help.subject'), subject), field(t('help.order'), order),
  field(t('help.text'), text), pics.el, errors, submit));

  const list = h('ul', { class: 'list', id: 'help-list' });
  root.append(sectionTitle(t('help.mine')), list);
  const load = async () => {
    const res = await api.get('/v1/support/conversations');
    if (!ctx.current()) return;
    list.replaceChildren(...items(res).map((v) => h('li', { class: 'card help-item', dataset: { conversation: v.conversation_id } },
      h('a', { href: `#/help/${encodeURIComponent(v.conversation_id)}`, class: 'help-link' },
        h('div', { class: 'row between' }, h('strong', { text: v.subject || t('help.untitled') }), supportStatusChip(ctx, v.status)),
        h('div', { class: 'small muted', text: v.last_text || t('sc.image') }),
        v.unread ? h('span', { class: 'badge', text: String(v.unread) }) : null))));
    if (!list.children.length) list.append(emptyItem(t('help.none')));
  };
  ctx.on('support.updated', () => load().catch(() => {}));
  ctx.on('conversation.message', (ev) => { if (ev.data?.kind === 'support') load().catch(() => {}); });
  await load();
}

/** expectNotice says when to expect an answer: now, by closing time, or from the next opening. */
function expectNotice(ctx, av, id) {
  const { t, i18n } = ctx;
  let text;
  if (!av.open) text = av.next_open ? t('help.closed', { at: i18n.time(av.next_open) }) : t('help.closedNoDate');
  else if (!av.agents_online) text = av.closes_at ? t('help.nobody', { at: i18n.time(av.closes_at) }) : t('help.nobodyNoDate');
  else text = av.queue_length ? t('help.queue', { n: av.queue_length }) : t('help.online');
  return h('p', { class: `notice help-expect ${av.open && av.agents_online ? 'ok' : 'warn'}`, id, role: 'status', text });
}

async function conversation(ctx, id) {
  const { t, root, api, app } = ctx;
  const enc = encodeURIComponent;
  root.append(h('a', { class: 'link back', href: '#/help', text: `← ${t('help.title')}` }));
  const v = await api.get(`/v1/support/conversations/${enc(id)}`);
  if (!ctx.current()) return;
  const head = h('div', { id: 'help-head' });
  const rating = h('div', { id: 'help-rating' });
  const pane = chatPane(ctx, id, {});
  root.append(head, h('section', { class: 'card help-conv' }, pane.el), rating);

  const paint = (v) => {
    const who = v.agent_id && v.status !== 'resolved' ? t('help.servedBy', { name: v.agent_name })
      : v.status === 'resolved' ? t('help.resolved') : t('help.waiting');
    replace(head, h('h1', { class: 'row gap wrap' }, h('span', { text: v.subject || t('help.title') }), supportStatusChip(ctx, v.status)),
      h('p', { class: 'muted', id: 'help-who', text: who }),
      v.status !== 'resolved' && !v.agent_id && v.expect ? expectNotice(ctx, v.expect, 'help-expect') : null);
    rating.replaceChildren();
    if (v.can_rate) rating.append(rateForm(v));
    else if (v.rating) rating.append(h('p', { class: 'card ok', id: 'help-rated', text: t('help.rated', { n: v.rating.score }) }));
  };
  const rateForm = (v) => {
    const stars = h('fieldset', { class: 'stars', id: 'help-stars' }, h('legend', { text: t('help.rate') }));
    for (let n = 1; n <= 5; n++) {
      stars.append(h('label', { class: 'star' }, h('input', { type: 'radio', name: 'help-score', value: String(n), id: `help-score-${n}` }),
        h('span', { text: t('help.stars', { n }) })));
    }
    const comment = h('textarea', { id: 'help-comment', rows: 2, maxlength: 500, placeholder: t('help.commentPh'), 'aria-label': t('help.comment') });
    const send = h('button', { type: 'submit', class: 'primary', id: 'help-rate-send', text: t('help.rateSend') });
    const errors = h('div');
    return h('form', { class: 'card form', id: 'help-rate', onsubmit: (ev) => {
      ev.preventDefault();
      const score = Number(stars.querySelector('input:checked')?.value || 0);
      if (!score) { errors.replaceChildren(h('p', { class: 'problem', role: 'alert', text: t('help.pickScore') })); return; }
      busy(ctx, send, async () => {
        await api.post(`/v1/support/conversations/${enc(v.conversation_id)}/rating`, { score, comment: comment.value.trim() });
        app.ok(t('help.thanks'));
        paint(await api.get(`/v1/support/conversations/${enc(v.conversation_id)}`));
      }, errors);
    } }, h('p', { text: t('help.rateAsk') }), stars, comment, errors, send);
  };
  paint(v);
  app.activeConversation = id;
  app.cleanup.push(() => { if (app.activeConversation === id) app.activeConversation = ''; });
  ctx.on('conversation.message', (ev) => { if (ev.data?.conversation_id === id) pane.message(ev); });
  ctx.on('conversation.typing', (ev) => { if (ev.data?.conversation_id === id) pane.typing(ev); });
  ctx.on('conversation.read', (ev) => { if (ev.data?.conversation_id === id) pane.read(ev); });
  ctx.on('support.updated', async (ev) => {
    if (ev.data?.conversation_id !== id) return;
    try {
      const nv = await api.get(`/v1/support/conversations/${enc(id)}`);
      if (ctx.current()) { paint(nv); await pane.refresh(); }
    } catch { /* stays */ }
  });
  await pane.load();
}
