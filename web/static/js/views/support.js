// support.js: the agent console (I3), desktop first and usable on a tablet — my online/away state,
// the queue with waiting times, my conversations with unread counts, the conversation (images,
// canned replies, internal notes) with claim, transfer, release, pending and resolve, and the
// customer's order panel beside it (their orders, status and X4 timeline, read-only). Everything
// follows the stream: support.updated re-reads the lists, support.queue the queue, a message changes
// its own row, conversation.* frames feed the pane.

import { h, avatar } from '../dom.js';
import { busy, emptyItem, itemName, statusChip, apptOf } from './kit.js';
import { chatPane, waited, supportStatusChip } from './supportchat.js';

export async function render(ctx) {
  const { t, root, api, me, app } = ctx;
  const enc = encodeURIComponent;
  const st = { selected: '', pane: null, thread: null, agents: [] };

  // ---- my state ----
  const meBox = h('div', { class: 'row gap desk-me', id: 'desk-me' });
  const awayBtn = h('button', { type: 'button', id: 'desk-away', 'aria-pressed': 'false' });
  const paintMe = (s) => {
    const available = s.online && !s.away;
    meBox.replaceChildren(h('span', { class: `desk-dot ${available ? 'on' : 'off'}`, 'aria-hidden': 'true' }),
      h('span', { id: 'desk-state', dataset: { available: String(available) }, text: s.away ? t('desk.away') : (s.online ? t('desk.online') : t('desk.offline')) }),
      h('span', { class: 'muted small', text: t('desk.capacity', { n: s.capacity }) }), awayBtn);
    awayBtn.textContent = s.away ? t('desk.back') : t('desk.goAway');
    awayBtn.setAttribute('aria-pressed', String(Boolean(s.away)));
    awayBtn.dataset.away = String(Boolean(s.away));
  };
  awayBtn.addEventListener('click', () => busy(ctx, awayBtn, async () => {
    const s = await api.put('/v1/support/me', { away: awayBtn.dataset.away !== 'true' });
    paintMe(s);
    app.ok(s.away ? t('desk.nowAway') : t('desk.nowBack'));
  }));

  // ---- lists ----
  const queueList = h('ul', { class: 'list desk-list', id: 'desk-queue' });
  const queueCount = h('span', { class: 'badge desk-count', id: 'desk-queue-count', hidden: true });
  const mineList = h('ul', { class: 'list desk-list', id: 'desk-mine' });
  const lists = h('aside', { class: 'desk-lists', 'aria-label': t('desk.lists') },
    h('h2', { class: 'section-title row gap' }, h('span', { text: t('desk.queue') }), queueCount), queueList,
    h('h2', { class: 'section-title', text: t('desk.mine') }), mineList);

  // ---- the conversation ----
  const convBox = h('section', { class: 'desk-conv card', id: 'desk-conv', 'aria-label': t('desk.conversation') },
    h('p', { class: 'muted empty', id: 'desk-none', text: t('desk.pick') }));
  const orders = h('aside', { class: 'desk-orders card', id: 'desk-orders', 'aria-label': t('desk.orders') },
    h('h2', { class: 'section-title', text: t('desk.orders') }), h('p', { class: 'muted small', text: t('desk.ordersHint') }));

  root.append(h('div', { class: 'row between wrap' }, h('h1', { text: t('support.title') }), meBox),
    h('div', { class: 'desk' }, lists, convBox, orders));

  const row = (v, queued) => {
    const who = v.requester || {};
    const li = h('li', { class: `desk-item ${v.conversation_id === st.selected ? 'active' : ''}`, dataset: { conversation: v.conversation_id } });
    const open = h('button', { type: 'button', class: 'desk-open', onclick: () => select(v.conversation_id) },
      avatar(who, 'sm'),
      h('span', { class: 'desk-item-body' },
        h('span', { class: 'row between' }, h('strong', { class: 'desk-name', text: who.name || '' }),
          queued ? h('span', { class: 'small muted desk-waited', dataset: { since: v.queued_at || v.created_at }, text: waited(ctx, v.queued_at || v.created_at) })
            : supportStatusChip(ctx, v.status)),
        h('span', { class: 'small muted desk-last', text: v.subject || v.last_text || t('sc.image') })),
      !queued && v.unread ? h('span', { class: 'badge desk-unread', dataset: { count: String(v.unread) }, text: String(v.unread) }) : null);
    li.append(open);
    if (queued) {
      const claim = h('button', { type: 'button', class: 'primary desk-claim', text: t('desk.claim'), 'aria-label': t('desk.claimWho', { name: who.name || '' }) });
      claim.addEventListener('click', () => busy(ctx, claim, async () => {
        await api.post(`/v1/support/conversations/${enc(v.conversation_id)}/claim`, {}, {});
        app.ok(t('desk.claimed'));
        await loadLists();
        await select(v.conversation_id);
      }));
      li.append(claim);
    }
    return li;
  };

  // The lists as last read; a message changes its row here, not by reading the lists again.
  const shown = { queue: [], mine: [] };
  const paintQueue = () => {
    queueList.replaceChildren(...shown.queue.map((v) => row(v, true)));
    if (!queueList.children.length) queueList.append(emptyItem(t('desk.queueEmpty')));
    queueCount.textContent = String(shown.queue.length);
    queueCount.hidden = !shown.queue.length;
  };
  const paintMine = () => {
    mineList.replaceChildren(...shown.mine.map((v) => row(v, false)));
    if (!mineList.children.length) mineList.append(emptyItem(t('desk.mineEmpty')));
  };
  async function loadQueue() {
    const q = await api.get('/v1/support/queue');
    if (!ctx.current()) return;
    shown.queue = q.items || [];
    paintQueue();
  }
  async function loadMine() {
    const mine = await api.get('/v1/support/conversations');
    if (!ctx.current()) return;
    shown.mine = mine.items || [];
    paintMine();
  }
  const loadLists = () => Promise.all([loadQueue(), loadMine()]);
  // Many frames may come at once; the lists are read again at most every 300 ms, and only the ones
  // a frame changed. A queue signal reaches every open console at once: each waits a random extra
  // moment (up to 500 ms) so fifty consoles do not all read the queue in the same instant.
  let listing = null;
  const want = { queue: false, mine: false };
  const relist = (which = 'both', spread = 0) => {
    if (which !== 'mine') want.queue = true;
    if (which !== 'queue') want.mine = true;
    if (listing) return;
    listing = setTimeout(async () => {
      listing = null;
      const q = want.queue;
      const m = want.mine;
      want.queue = false;
      want.mine = false;
      try { await Promise.all([q ? loadQueue() : null, m ? loadMine() : null]); } catch { /* next frame */ }
    }, 300 + Math.floor(Math.random() * spread));
  };
  // A new message in a listed conversation: its row shows the text and time, my list puts it first
  // and counts it unread unless it is open here or mine. A conversation in neither list is news:
  // the lists are read again.
  const messaged = (d) => {
    const m = d.message || {};
    const id = d.conversation_id;
    const v = shown.mine.find((x) => x.conversation_id === id) || shown.queue.find((x) => x.conversation_id === id);
    if (!v) { relist(); return; }
    v.last_text = m.text || '';
    v.last_message_at = m.created_at;
    v.last_sender_id = m.sender_id;
    if (shown.queue.includes(v)) { paintQueue(); return; }
    if (m.sender_id !== me.id && id !== st.selected) v.unread = (v.unread || 0) + 1;
    shown.mine = [v, ...shown.mine.filter((x) => x !== v)];
    paintMine();
  };
  // The open conversation was read here: its row's count is gone.
  const readHere = () => {
    const v = shown.mine.find((x) => x.conversation_id === st.selected);
    if (v && v.unread) { v.unread = 0; paintMine(); }
  };
  const tick = setInterval(() => {
    for (const s of queueList.querySelectorAll('.desk-waited')) s.textContent = waited(ctx, s.dataset.since);
  }, 30000);
  app.cleanup.push(() => { clearInterval(tick); clearTimeout(listing); app.activeConversation = ''; });

  // ---- one conversation ----
  async function select(id) {
    st.selected = id;
    app.activeConversation = id; // its messages show here: no toast for them
    for (const li of root.querySelectorAll('.desk-item')) li.classList.toggle('active', li.dataset.conversation === id);
    const thread = await api.get(`/v1/support/conversations/${enc(id)}`);
    if (!ctx.current() || st.selected !== id) return;
    st.thread = thread;
    st.pane = chatPane(ctx, id, { canned: true, onRead: readHere });
    convBox.replaceChildren(head(thread), st.pane.el, notesOf(thread));
    await st.pane.load();
    paintOrders(thread);
    relist();
  }

  function head(v) {
    const holder = v.agent_id === me.id;
    const actions = h('div', { class: 'row gap wrap desk-actions', id: 'desk-actions' });
    const errors = h('div', { id: 'desk-errors' });
    const act = (id, label, fn, cls = '') => {
      const b = h('button', { type: 'button', id, class: cls, text: label });
      b.addEventListener('click', () => busy(ctx, b, fn, errors));
      return b;
    };
    const status = (s, msg) => async () => {
      await api.put(`/v1/support/conversations/${enc(v.conversation_id)}/status`, { status: s });
      app.ok(msg);
      await select(v.conversation_id);
    };
    if (v.status !== 'resolved' && !v.agent_id) {
      actions.append(act('desk-claim-open', t('desk.claim'), async () => {
        await api.post(`/v1/support/conversations/${enc(v.conversation_id)}/claim`, {}, {});
        app.ok(t('desk.claimed'));
        await select(v.conversation_id);
      }, 'primary'));
    }
    let transfer = null;
    if (holder && v.status !== 'resolved') {
      if (v.status === 'open') actions.append(act('desk-pending', t('desk.pending'), status('pending', t('desk.pendingDone'))));
      actions.append(act('desk-resolve', t('desk.resolve'), status('resolved', t('desk.resolved')), 'primary'));
      actions.append(act('desk-release', t('desk.release'), async () => {
        await api.post(`/v1/support/conversations/${enc(v.conversation_id)}/release`, {}, {});
        app.ok(t('desk.released'));
        st.selected = '';
        convBox.replaceChildren(h('p', { class: 'muted empty', id: 'desk-none', text: t('desk.pick') }));
        relist();
      }));
      transfer = transferForm(v, errors);
      actions.append(h('button', { type: 'button', id: 'desk-transfer-open', 'aria-expanded': 'false', text: t('desk.transfer'),
        onclick: (ev) => { transfer.hidden = !transfer.hidden; ev.currentTarget.setAttribute('aria-expanded', String(!transfer.hidden)); } }));
    }
    const who = v.requester || {};
    return h('header', { class: 'desk-head' },
      h('div', { class: 'row gap' }, avatar(who, 'md'),
        h('div', null, h('h2', { class: 'desk-title', id: 'desk-title', text: who.name || '' }),
          h('p', { class: 'small muted', id: 'desk-sub' },
            `${t(`role.${v.requester_role}`)} · ${v.subject || t('desk.noSubject')} · `,
            supportStatusChip(ctx, v.status), ' ',
            v.agent_id ? h('span', { id: 'desk-holder', text: t('desk.heldBy', { name: v.agent_name }) }) : h('span', { id: 'desk-holder', text: t('desk.inQueue') })),
          v.rating ? h('p', { class: 'small', id: 'desk-rating', text: t('desk.rated', { n: v.rating.score, comment: v.rating.comment || '' }) }) : null)),
      actions, transfer, errors);
  }

  function transferForm(v, errors) {
    const pickAgent = h('select', { id: 'desk-transfer-agent' });
    for (const a of st.agents) {
      if (a.agent_id === me.id) continue;
      pickAgent.append(h('option', { value: a.agent_id, disabled: !a.available, text: `${a.name} · ${a.available ? t('desk.loadOf', { n: a.load, c: a.capacity }) : t('desk.offline')}` }));
    }
    const note = h('textarea', { id: 'desk-transfer-note', rows: 2, maxlength: 2000, placeholder: t('desk.notePh') });
    const send = h('button', { type: 'submit', class: 'primary', id: 'desk-transfer-send', text: t('desk.transferGo') });
    const form = h('form', { class: 'form desk-transfer', id: 'desk-transfer', hidden: true, onsubmit: (ev) => {
      ev.preventDefault();
      busy(ctx, send, async () => {
        await api.post(`/v1/support/conversations/${enc(v.conversation_id)}/transfer`, { agent_id: pickAgent.value, note: note.value.trim() }, {});
        app.ok(t('desk.transferred'));
        await select(v.conversation_id);
      }, errors, { fields: { agent_id: t('desk.transferTo') } });
    } }, h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('desk.transferTo') }), pickAgent),
    h('label', { class: 'field' }, h('span', { class: 'field-label', text: t('desk.note') }), note), send);
    return form;
  }

  function notesOf(v) {
    const list = h('ul', { class: 'list desk-notes', id: 'desk-notes' });
    const paint = (notes) => {
      list.replaceChildren(...notes.map((n) => h('li', { class: 'desk-note' },
        h('span', { class: 'small muted', text: `${n.author_name || ''} · ${ctx.i18n.time(n.created_at)}` }), h('p', { text: n.text }))));
      if (!notes.length) list.append(emptyItem(t('desk.notesEmpty')));
    };
    paint(v.notes || []);
    const text = h('textarea', { id: 'desk-note-text', rows: 2, maxlength: 2000, placeholder: t('desk.notePh'), 'aria-label': t('desk.addNote') });
    const add = h('button', { type: 'submit', id: 'desk-note-add', text: t('desk.addNote') });
    const errors = h('div');
    const form = h('form', { class: 'form', onsubmit: (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) return;
      busy(ctx, add, async () => {
        const n = await api.post(`/v1/support/conversations/${enc(v.conversation_id)}/notes`, { text: text.value.trim() });
        v.notes = [...(v.notes || []), n];
        paint(v.notes);
        text.value = '';
      }, errors);
    } }, text, add, errors);
    return h('details', { class: 'desk-notes-box', id: 'desk-notes-box' },
      h('summary', { text: t('desk.notes', { n: (v.notes || []).length }) }), h('p', { class: 'small muted', text: t('desk.notesHint') }), list, form);
  }

  // ---- the order panel ----
  async function paintOrders(v) {
    const res = await api.get(`/v1/support/conversations/${enc(v.conversation_id)}/orders`).catch(() => ({ items: [] }));
    if (!ctx.current() || st.selected !== v.conversation_id) return;
    const list = h('ul', { class: 'list', id: 'desk-order-list' });
    for (const o of res.items || []) {
      const tl = h('ol', { class: 'timeline desk-timeline', hidden: true });
      const more = h('button', { type: 'button', class: 'link', 'aria-expanded': 'false', text: t('desk.timeline') });
      more.addEventListener('click', async () => {
        if (tl.hidden && !tl.children.length) {
          const r = await api.get(`/v1/support/conversations/${enc(v.conversation_id)}/orders/${enc(o.id)}/timeline`).catch((e) => { tl.append(h('li', null, app.problem(e))); return { items: [] }; });
          for (const e of r.items || []) {
            tl.append(h('li', null, h('span', { class: 'small muted', text: ctx.i18n.time(e.at) }), ' ',
              e.type === 'transition' ? ctx.i18n.label('ev', e.event) : (e.title || e.kind)));
          }
        }
        tl.hidden = !tl.hidden;
        more.setAttribute('aria-expanded', String(!tl.hidden));
      });
      list.append(h('li', { class: `card desk-order ${o.id === v.order_id ? 'about' : ''}`, dataset: { order: o.id } },
        h('div', { class: 'row between' }, h('strong', { text: await itemName(ctx, o) }), statusChip(ctx, o.status)),
        h('div', { class: 'small muted', text: ctx.i18n.time(apptOf(o)) }),
        o.id === v.order_id ? h('div', { class: 'small desk-about', text: t('desk.about') }) : null,
        more, tl));
    }
    if (!list.children.length) list.append(emptyItem(t('desk.noOrders')));
    orders.replaceChildren(h('h2', { class: 'section-title', text: t('desk.orders') }), list);
  }

  // ---- live ----
  ctx.on('support.updated', async (ev) => {
    relist();
    const d = ev.data || {};
    if (d.conversation_id !== st.selected) return;
    try {
      const v = await api.get(`/v1/support/conversations/${enc(st.selected)}`);
      if (!ctx.current() || st.selected !== v.conversation_id) return;
      st.thread = v;
      convBox.querySelector('.desk-head')?.replaceWith(head(v));
      convBox.querySelector('.desk-notes-box')?.replaceWith(notesOf(v));
      await st.pane?.refresh();
    } catch { /* stays */ }
  });
  ctx.on('support.queue', () => relist('queue', 500));
  ctx.on('conversation.message', (ev) => {
    if (ev.data?.kind !== 'support') return;
    if (ev.data.conversation_id === st.selected) st.pane?.message(ev);
    messaged(ev.data);
  });
  ctx.on('conversation.typing', (ev) => { if (ev.data?.conversation_id === st.selected) st.pane?.typing(ev); });
  ctx.on('conversation.read', (ev) => { if (ev.data?.conversation_id === st.selected) st.pane?.read(ev); });
  ctx.on('conversation.closed', (ev) => { if (ev.data?.conversation_id === st.selected) select(st.selected).catch(() => {}); relist(); });

  const [s, ag] = await Promise.all([api.get('/v1/support/me'), api.get('/v1/support/agents').catch(() => ({ items: [] }))]);
  st.agents = ag.items || [];
  paintMe(s);
  await loadLists();
  // The stream has just opened: my presence lands a moment later.
  const reMe = async () => { try { if (ctx.current()) paintMe(await api.get('/v1/support/me')); } catch { /* stays */ } };
  const soon = setTimeout(reMe, 1500);
  const every = setInterval(reMe, 10000);
  app.cleanup.push(() => { clearTimeout(soon); clearInterval(every); });
  ctx.on('support.updated', async () => {
    try { st.agents = (await api.get('/v1/support/agents')).items || []; } catch { /* stays */ }
  });
}
