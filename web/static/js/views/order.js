// order.js: one order — its details, the worker card, what this person may do next (accept,
// start, complete, change time, change worker, cancel with refund terms first, approve), and the
// timeline with deliveries. It refreshes live when an event about the order arrives.

import { h, field, avatar, replace } from '../dom.js';
import { orderAckCard, sosCard } from './notice.js';
import { itemName, workerOf, customerOf, statusChip, apptOf, amountOf, busy, sectionTitle, toLocalInput, fromLocalInput, items, emptyState } from './kit.js';
import { reviewSection, ratingBadge } from './review.js';
import { watcherBanner, watcherNames, householdCard } from './household.js';
import { visitCard, visitActions } from './visit.js';

const FINAL = ['completed', 'cancelled', 'canceled'];
const WAITING = ['pending', 'open', 'created'];

export async function render(ctx) {
  const { root, params } = ctx;
  const id = params.id;
  const base = `/v1/orders/${encodeURIComponent(id)}`;
  const body = h('div', { class: 'order-detail', id: 'order-detail' });
  root.append(h('a', { class: 'link back', href: ctx.app.ordersHref || '#/orders', text: `← ${ctx.t('common.back')}` }), body);
  let drawing = false; let again = false;
  const draw = async () => {
    if (drawing) { again = true; return; }
    drawing = true;
    try {
      do { again = false; await paint(ctx, body, base); } while (again && ctx.current());
    } finally { drawing = false; }
  };
  // After this person's own action the page redraws at once; others' actions arrive as events.
  // An order this person may no longer see (a removed worker) says so instead of going stale.
  const lost = (e) => {
    if (e?.status === 404 || e?.status === 403) body.replaceChildren(gone(ctx));
    else body.replaceChildren(ctx.app.problem(e));
  };
  ctx.redraw = () => draw().catch(lost);
  ctx.on('any', (ev) => {
    const d = ev.data || {};
    const oid = d.notification?.order_id || d.order_id || d.order?.id;
    if (!oid || oid === id) draw().catch(lost);
  });
  await draw().catch((e) => { if (e?.status === 404 || e?.status === 403) lost(e); else throw e; });
}

/**
 * gone is the page of an order this person may not see: for a worker taken off it, "no longer
 * yours" (the order went to someone else or was withdrawn); for anyone else, not found. Both lead
 * back to their list.
 */
function gone(ctx) {
  const { t, me } = ctx;
  const worker = me.role === 'worker';
  return h('section', { class: 'card gone', id: 'order-gone', role: 'status' },
    h('h1', { text: t(worker ? 'order.goneWorker' : 'order.goneTitle') }),
    h('p', { class: 'muted', text: t(worker ? 'order.goneWorkerNote' : 'order.goneNote') }),
    h('a', { class: 'button-link', href: '#/orders', text: t(worker ? 'order.goneSchedule' : 'order.goneList') }));
}

async function paint(ctx, body, base) {
  const { t, i18n, me } = ctx;
  const [o, tl] = await Promise.all([ctx.api.get(base), ctx.api.get(`${base}/timeline`).catch((e) => e)]);
  const [name, worker, customer, review] = await Promise.all([itemName(ctx, o), workerOf(ctx, o), customerOf(ctx, o), reviewSection(ctx, o, base)]);
  if (!ctx.current()) return;
  const open = body.querySelector('.panel:not([hidden])')?.dataset.panel;
  const keep = {};
  for (const el of body.querySelectorAll('input, textarea, select')) if (el.id) keep[el.id] = el.value;

  const rows = [
    [t('order.item'), name], [t('order.time'), i18n.time(apptOf(o))], [t('order.address'), o.address],
    [t('order.requirements'), o.requirements], [t('order.amount'), i18n.money(amountOf(o))],
  ].filter(([, v]) => v);
  const head = h('section', { class: 'card' },
    h('div', { class: 'row between' }, h('h1', { class: 'order-item', text: name }), statusChip(ctx, o.status)),
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])));

  const people = h('section', { class: 'card people-card' },
    personBlock(ctx, t('order.worker'), worker, o.status && WAITING.includes(o.status) ? t('order.noWorker') : ''),
    (me.role !== 'customer' || o.viewer) && customer ? personBlock(ctx, t('order.customer'), customer) : null,
    chatLink(ctx, o), helpLink(ctx, o));

  const parts = [watcherBanner(ctx, o, customer), head, people].filter(Boolean);
  people.append(...[watcherNames(ctx, o)].filter(Boolean));
  const visit = visitCard(ctx, o);
  if (visit) parts.push(visit);
  if (review) parts.push(review);
  const change = pendingChange(o);
  if (change) {
    const who = change.requester_id === me.id ? me : await ctx.app.person(change.requester_id);
    change.requester_name = who?.name || '';
    parts.push(changeCard(ctx, o, change, base));
  }
  if (o.pending_worker_change) parts.push(workerChangeCard(ctx, o.pending_worker_change));
  const refund = refundCard(ctx, o);
  if (refund) parts.push(refund);
  if (pendingCancellation(o)) {
    parts.push(me.role === 'operator' ? cancellationApproval(ctx, base)
      : h('section', { class: 'card', id: 'cancel-pending' }, h('strong', { text: t('order.cancelRequested') })));
  }
  const ack = await orderAckCard(ctx, o, base);
  if (ack) parts.splice(1, 0, ack);
  parts.push(actions(ctx, o, base, worker));
  const sos = sosCard(ctx, o, base);
  if (sos) parts.push(sos);
  // The customer chooses who of the family follows this order (Y5).
  if (me.role === 'customer' && o.customer_id === me.id) parts.push(householdCard(ctx, o.id));
  const trail = [timeline(ctx, tl)];
  if (me.role === 'operator') trail.push(await deliveries(ctx, o.id));
  if (!ctx.current()) return;
  // Operators work on a desktop: the order and its actions beside its full audit trail (X4).
  if (me.role === 'operator') {
    body.classList.add('two-col');
    ctx.root.classList.add('wide');
    body.replaceChildren(h('div', { class: 'col' }, ...parts), h('div', { class: 'col', id: 'order-trail' }, ...trail));
  } else body.replaceChildren(...parts, ...trail);
  for (const [k, v] of Object.entries(keep)) { const el = body.querySelector(`#${CSS.escape(k)}`); if (el) el.value = v; }
  if (open) { const p = body.querySelector(`.panel[data-panel="${open}"]`); if (p) { p.hidden = false; p.dispatchEvent(new Event('open')); } }
}

/**
 * chatLink leads to the order's chat (I1) once it has a worker: the customer and the current worker
 * talk there; an operator reads it (read-only, recorded in the order's audit trail).
 */
function chatLink(ctx, o) {
  const { t, me } = ctx;
  if (!o.worker_id && !o.worker?.id) return null;
  if (me.role === 'worker' && (o.worker_id || o.worker?.id) !== me.id) return null;
  if (o.viewer && !o.viewer.can_chat) return null; // a watcher the customer did not let chat (Y5)
  const label = me.role === 'operator' ? t('order.chatRead') : t(me.role === 'customer' ? 'order.chatWorker' : 'order.chatCustomer');
  return h('a', { class: 'button-link chat-link', id: 'order-chat', href: `#/orders/${encodeURIComponent(o.id)}/chat`, text: label });
}

/** helpLink opens 联系客服 about this order (I3) for its customer and its worker. */
function helpLink(ctx, o) {
  const { t, me } = ctx;
  if (me.role !== 'customer' && me.role !== 'worker') return null;
  if (o.viewer) return null;
  return h('a', { class: 'button-link help-order-link', id: 'order-help', href: `#/help?order=${encodeURIComponent(o.id)}`, text: t('order.help') });
}

function personBlock(ctx, label, p, empty) {
  if (!p) return empty ? h('div', { class: 'person-block' }, h('span', { class: 'muted', text: label }), h('span', { text: empty })) : null;
  return h('div', { class: 'person-block', dataset: { person: p.id } }, avatar(p, 'md'),
    h('div', null, h('span', { class: 'muted small', text: label }), h('strong', { class: 'person-name', text: p.name }),
      ratingBadge(ctx, p.rating), p.bio ? h('p', { class: 'muted small person-bio', text: p.bio }) : null));
}

function pendingChange(o) {
  const c = o.pending_change;
  return c && ['pending', 'escalated'].includes(c.state || c.status || 'pending') ? c : null;
}

/**
 * refundCard is what a cancelled order's page says about the money (E3): the refund, the fee,
 * the rule that set them, and when the refund arrives (or that it has) — from the order's latest
 * cancellation, which the order's view carries.
 */
function refundCard(ctx, o) {
  const { t, i18n } = ctx;
  const c = o.cancellation;
  if (!['cancelled', 'canceled'].includes(o.status) || !c || !['approved', 'settled'].includes(c.status)) return null;
  const refund = Number(c.refund_cents || 0);
  const rows = [[t('order.refund'), refund > 0 ? i18n.money(refund) : t('order.noRefund')]];
  if (Number(c.fee_cents || 0) > 0) rows.push([t('order.fee'), i18n.money(c.fee_cents)]);
  if (refund > 0 && c.settled_at) rows.push([t('order.refundSettledAt'), i18n.time(c.settled_at)]);
  else if (refund > 0 && c.refund_eta) rows.push([t('order.refundEta'), i18n.time(c.refund_eta)]);
  if (c.reason) rows.push([t('common.reason'), c.reason]);
  return h('section', { class: 'card refund-card', id: 'order-refund' },
    h('h2', { class: 'section-title', text: t('order.refundTitle') }),
    c.policy ? h('p', { class: 'muted small', text: i18n.label('policy', c.policy) }) : null,
    h('dl', { class: 'facts' }, rows.map(([k, v]) => [h('dt', { text: k }), h('dd', { text: v })])));
}

function pendingCancellation(o) {
  return o.cancellation?.status === 'pending_approval';
}

function changeCard(ctx, o, c, base) {
  const { t, i18n, me } = ctx;
  const err = h('div');
  const mine = c.requester_id === me.id;
  const operatorDecides = Boolean(c.needs_operator);
  // A watcher answers only what the customer would answer, and only when allowed (Y5).
  const watcher = o.viewer?.relation === 'watcher';
  const mayAnswer = operatorDecides ? me.role === 'operator'
    : watcher ? Boolean(o.viewer.can_answer_changes) && c.requester_role === 'worker' : !mine && me.role !== 'operator';
  const reason = h('input', { id: 'decline-reason', maxlength: 200, placeholder: t('order.declineReason') });
  const url = `${base}/time-changes/${encodeURIComponent(c.id)}`;
  const accept = h('button', { class: 'primary', type: 'button', id: 'change-accept', text: t('order.acceptChange') });
  const decline = h('button', { type: 'button', id: 'change-decline', text: t('order.declineChange') });
  accept.addEventListener('click', () => busy(ctx, accept, async () => { await ctx.api.post(`${url}/accept`, {}); ctx.redraw(); }, err));
  decline.addEventListener('click', () => busy(ctx, decline, async () => { await ctx.api.post(`${url}/decline`, { reason: reason.value.trim() }); ctx.redraw(); }, err));
  const requester = c.requester_name || '';
  return h('section', { class: 'card change-card', id: 'pending-change', dataset: { change: c.id } },
    h('strong', { text: t('order.pendingChange') }),
    h('p', { class: 'change-times', text: t('order.changeFromTo', { from: i18n.time(c.old_time || apptOf(o)), to: i18n.time(c.new_time) }) }),
    requester ? h('p', { class: 'muted small', text: t('order.changeBy', { name: requester }) }) : null,
    c.reason ? h('p', { class: 'muted', text: t('common.reasonIs', { reason: c.reason }) }) : null,
    operatorDecides && me.role !== 'operator' ? h('p', { class: 'warn small', id: 'change-awaits-operator', text: t('order.awaitOperator') }) : null,
    mine && !operatorDecides ? h('p', { class: 'muted small', id: 'change-awaits-other', text: t('order.awaitOther') }) : null,
    mayAnswer ? h('div', { class: 'form' }, reason, err, h('div', { class: 'row gap' }, accept, decline)) : null);
}

/** workerChangeCard shows a request for another worker that waits for an operator. */
function workerChangeCard(ctx, r) {
  const { t, i18n, me } = ctx;
  return h('section', { class: 'card change-card', id: 'worker-change-pending' },
    h('strong', { text: t('order.workerChangePending') }),
    h('p', { class: 'muted small', text: t('order.requestedAt', { at: i18n.time(r.created_at) }) }),
    r.reason ? h('p', { class: 'muted', text: t('common.reasonIs', { reason: r.reason }) }) : null,
    h('p', { class: 'small', text: t(me.role === 'operator' ? 'order.workerChangeOperator' : 'order.workerChangeWait') }));
}

function cancellationApproval(ctx, base) {
  const { t } = ctx;
  const err = h('div');
  const ok = h('button', { class: 'danger', type: 'button', id: 'cancel-approve', text: t('order.approveCancel') });
  const no = h('button', { type: 'button', id: 'cancel-decline', text: t('order.declineCancel') });
  ok.addEventListener('click', () => busy(ctx, ok, async () => { await ctx.api.post(`${base}/cancellation/approve`, {}); ctx.redraw(); }, err));
  no.addEventListener('click', () => busy(ctx, no, async () => { await ctx.api.post(`${base}/cancellation/decline`, {}); ctx.redraw(); }, err));
  return h('section', { class: 'card' }, h('strong', { text: t('approvals.cancellation') }), err, h('div', { class: 'row gap' }, ok, no));
}

/** actions lists what this person may do now; each opens a small panel with its form. */
function actions(ctx, o, base, worker) {
  const { t, me } = ctx;
  const live = !FINAL.includes(o.status);
  const assignedToMe = worker && worker.id === me.id;
  const box = h('section', { class: 'card actions', id: 'order-actions' });
  const buttons = h('div', { class: 'row gap wrap' });
  const panels = h('div');
  const err = h('div');
  box.append(buttons, err, panels);
  const direct = (id, label, path, cls = 'primary') => {
    const b = h('button', { class: cls, type: 'button', id, text: label });
    b.addEventListener('click', () => busy(ctx, b, async () => { await ctx.api.post(`${base}/${path}`, {}); ctx.redraw(); }, err));
    buttons.append(b);
  };
  const panel = (id, label, build, cls = '') => {
    const p = h('div', { class: 'panel', hidden: true, dataset: { panel: id } });
    build(p);
    const b = h('button', { class: cls, type: 'button', id: `open-${id}`, text: label, onclick: () => {
      for (const x of panels.children) if (x !== p) x.hidden = true;
      p.hidden = !p.hidden;
      if (!p.hidden) p.dispatchEvent(new Event('open'));
    } });
    buttons.append(b); panels.append(p);
  };
  if (!live || o.viewer) return h('div'); // watchers follow; only the customer acts (Y5)

  if (me.role === 'worker') {
    if (!worker && WAITING.includes(o.status)) direct('order-accept', t('orders.accept'), 'accept');
  }
  // The visit (Y4): set out, check in, start with the customer's code, complete with photos;
  // an operator's override.
  visitActions(ctx, o, base, direct, panel);
  if (o.status === 'in_service') return buttons.childElementCount ? box : h('div');
  if ((me.role === 'customer' || assignedToMe) && worker && !o.pending_change) {
    panel('time', t('order.changeTime'), (p) => timeChangeForm(ctx, o, base, p));
  }
  if (me.role === 'customer' && worker && !o.pending_worker_change) panel('worker', t('order.askWorker'), (p) => reasonForm(ctx, p, 'worker-reason', `${base}/worker-changes`, t('order.workerChangeSent')));
  if (assignedToMe) panel('withdraw', t('order.withdraw'), (p) => reasonForm(ctx, p, 'withdraw-reason', `${base}/worker-changes`, t('order.workerChangeSent')));
  if (me.role === 'operator') panel('assign', t('order.reassign'), (p) => assignForm(ctx, o, base, p));
  if (me.role === 'customer' || me.role === 'operator' || assignedToMe) panel('cancel', t('order.cancel'), (p) => cancelForm(ctx, base, p), 'danger');
  return box;
}

function timeChangeForm(ctx, o, base, p) {
  const { t } = ctx;
  const cur = new Date(apptOf(o) || Date.now());
  const when = h('input', { id: 'change-time', type: 'datetime-local', required: true, value: toLocalInput(new Date(cur.getTime() + 2 * 3600000)) });
  const reason = h('input', { id: 'change-reason', required: true, maxlength: 200 });
  const err = h('div');
  const go = h('button', { class: 'primary', type: 'submit', id: 'change-submit', text: t('common.submit') });
  p.append(h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      await ctx.api.post(`${base}/time-changes`, { new_time: fromLocalInput(when.value), reason: reason.value.trim() }, { create: true });
      ctx.app.toast(t('order.changeSent'), 'ok');
      ctx.redraw();
    }, err);
  } }, field(t('order.newTime'), when), field(t('common.reason'), reason), err, go));
}

function reasonForm(ctx, p, id, url, done) {
  const { t } = ctx;
  const reason = h('input', { id, required: true, maxlength: 200 });
  const err = h('div');
  const go = h('button', { class: 'primary', type: 'submit', id: `${id}-submit`, text: t('common.submit') });
  p.append(h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => { await ctx.api.post(url, { reason: reason.value.trim() }, { create: true }); ctx.app.toast(done, 'ok'); ctx.redraw(); }, err);
  } }, field(t('common.reason'), reason), err, go));
}

function assignForm(ctx, o, base, p) {
  const { t } = ctx;
  const sel = h('select', { id: 'assign-worker', required: true });
  const reason = h('input', { id: 'assign-reason', required: true, maxlength: 200 });
  const err = h('div');
  const go = h('button', { class: 'primary', type: 'submit', id: 'assign-submit', text: t('common.submit') });
  p.addEventListener('open', async () => {
    if (sel.options.length) return;
    try {
      const ws = items(await ctx.api.get('/v1/people?role=worker&limit=200'));
      sel.replaceChildren(...ws.filter((w) => w.id !== o.worker_id).map((w) => h('option', { value: w.id, text: `${w.name}${w.area ? ` · ${w.area}` : ''}` })));
    } catch (e) { err.append(ctx.app.problem(e)); }
  });
  p.append(h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      await ctx.api.post(`${base}/assign`, { worker_id: sel.value, reason: reason.value.trim() });
      ctx.app.toast(t('order.reassigned'), 'ok');
      ctx.redraw();
    }, err);
  } }, field(t('order.pickWorker'), sel), field(t('common.reason'), reason), err, go));
}

/** cancelForm shows the refund terms (the quote) before the person confirms. */
function cancelForm(ctx, base, p) {
  const { t, i18n } = ctx;
  const terms = h('div', { class: 'quote', id: 'cancel-quote' }, h('p', { class: 'muted', text: t('common.loading') }));
  const reason = h('input', { id: 'cancel-reason', required: true, maxlength: 200 });
  const err = h('div');
  const go = h('button', { class: 'danger', type: 'submit', id: 'cancel-submit', text: t('order.cancelConfirm'), disabled: true });
  p.addEventListener('open', async () => {
    try {
      const q = await ctx.api.get(`${base}/cancellation-quote`);
      const refund = q.refund_cents ?? q.refund?.amount_cents ?? 0;
      const eta = q.refund_eta || q.refund_at || q.refund?.eta;
      const approval = q.needs_approval ?? q.requires_approval;
      replace(terms, h('strong', { text: t('order.quote') }),
        refund > 0 ? h('p', { class: 'refund', text: i18n.pair(t('order.refund'), i18n.money(refund)) }) : h('p', { class: 'refund', text: t('order.noRefund') }),
        q.fee_cents ? h('p', { text: i18n.pair(t('order.fee'), i18n.money(q.fee_cents)) }) : null,
        refund > 0 && eta ? h('p', { text: i18n.pair(t('order.refundEta'), i18n.time(eta)) }) : null,
        approval ? h('p', { class: 'warn', text: t('order.needsApproval') }) : null,
        q.policy ? h('p', { class: 'muted small policy', text: i18n.label('policy', q.policy) }) : null);
      go.disabled = false;
    } catch (e) { terms.replaceChildren(ctx.app.problem(e)); }
  });
  p.append(terms, h('form', { class: 'form', onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      const res = await ctx.api.post(`${base}/cancel`, { reason: reason.value.trim() }, { create: true });
      const pending = res?.status === 'pending_approval';
      ctx.app.toast(t(pending ? 'order.cancelRequested' : 'order.cancelled'), 'ok');
      ctx.redraw();
    }, err);
  } }, field(t('common.reason'), reason), err, go));
}

function timeline(ctx, tl) {
  const { t, i18n } = ctx;
  const sec = h('section', { class: 'card' }, sectionTitle(t('order.timeline')));
  if (tl instanceof Error) { sec.append(ctx.app.problem(tl)); return sec; }
  const entries = items(tl);
  if (!entries.length) { sec.append(emptyState(t('common.empty'))); return sec; }
  const ol = h('ol', { class: 'timeline', id: 'timeline' });
  for (const e of entries) {
    if (e.type === 'notice_step') {
      // Y1: a step of a notice's fall-back chain — on which channel, and what happened.
      ol.append(h('li', { class: 'tl-entry tl-notice_step', dataset: { type: e.type, step: e.step, event: e.event } },
        h('span', { class: 'tl-time muted small', text: i18n.time(e.at) }),
        h('span', { class: 'tl-title', text: `⇢ ${i18n.label('step', e.step)} · ${i18n.label('nstep', e.event)}` }),
        h('span', { class: 'muted small tl-delivery' }, whoSpan(ctx, e.recipient_id, '→ '), e.detail ? ` · ${e.detail}` : '')));
      continue;
    }
    const note = e.type === 'notification';
    ol.append(h('li', { class: `tl-entry tl-${e.type}`, dataset: { type: e.type, event: e.event || e.kind || '' } },
      h('span', { class: 'tl-time muted small', text: i18n.time(e.at) }),
      note ? h('span', { class: 'tl-title', text: `✉ ${e.title || e.kind}` }) : h('strong', { class: 'tl-title', text: i18n.label('ev', e.event) }),
      note ? h('span', { class: 'muted small tl-delivery' }, whoSpan(ctx, e.recipient_id, '→ '),
        ` · ${(e.channels || []).map((c) => i18n.label('channel', c)).join(' / ')}${e.read_at ? ` · ${t('order.readAt', { at: i18n.time(e.read_at) })}` : ''}`)
        : (e.actor_id ? h('span', { class: 'muted small' }, whoSpan(ctx, e.actor_id, ''), e.details?.reason ? ` · ${t('common.reasonIs', { reason: e.details.reason })}` : '') : null)));
  }
  sec.append(ol);
  return sec;
}

/** deliveries lists the off-app deliveries about the order (web push, webhooks) for operators (X4). */
async function deliveries(ctx, orderID) {
  const { t, i18n } = ctx;
  const sec = h('section', { class: 'card', id: 'order-deliveries' }, sectionTitle(t('order.deliveries')));
  try {
    const ds = items(await ctx.api.get(`/v1/admin/deliveries?order_id=${encodeURIComponent(orderID)}&limit=100`));
    if (!ds.length) sec.append(emptyState(t('common.empty')));
    else {
      sec.append(h('ul', { class: 'deliveries' }, ds.map((d) => h('li', { class: `delivery delivery-${d.state}`, dataset: { state: d.state } },
        whoSpan(ctx, d.recipient_id, ''), ` · ${d.kind} · ${i18n.label('channel', d.channel)} · ${i18n.label('dstate', d.state)}`,
        d.attempts ? ` ×${d.attempts}` : '', d.last_error ? ` · ${d.last_error}` : '',
        // Held for the recipient's receiving window (S2): when it is planned to go.
        d.state === 'queued' && !d.attempts && d.next_attempt_at
          ? h('span', { class: 'delivery-planned', text: ` · ${t('order.plannedFor', { at: i18n.time(d.next_attempt_at) })}` })
          : ` · ${i18n.time(d.updated_at || d.created_at)}`,
        d.channel === 'wechat' && d.detail ? wechatDetail(ctx, d.detail) : null))));
    }
  } catch (e) { sec.append(ctx.app.problem(e)); }
  return sec;
}

/** wechatDetail is what the log keeps of a WeChat send (Y3): template, ledger before and after, WeChat's answer. */
function wechatDetail(ctx, x) {
  const { t } = ctx;
  const parts = [t('wx.detail', { tpl: x.template_id, before: x.ledger_before, after: x.ledger_after })];
  if (x.errcode !== undefined && x.errcode !== null) parts.push(t('wx.answer', { code: x.errcode, msg: x.errmsg ? ` ${x.errmsg}` : '' }));
  if (x.field) parts.push(t('wx.badField', { field: x.field }));
  if (x.fell_back) parts.push(t('wx.fellBack'));
  return h('div', { class: 'muted small wx-detail', text: parts.join(' · ') });
}

/** whoSpan shows a person's name once it is known (ids are shown meanwhile). */
function whoSpan(ctx, id, prefix) {
  const span = h('span', { text: `${prefix}${id}` });
  if (id === ctx.me.id) span.textContent = `${prefix}${ctx.me.name}`;
  else if (id && !id.startsWith('key:') && id !== 'system') ctx.app.person(id).then((p) => { if (p?.name) span.textContent = `${prefix}${p.name}`; });
  return span;
}
