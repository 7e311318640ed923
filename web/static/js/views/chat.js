// chat.js: the order's conversation (I1) between its customer and its current worker — messages
// paged by seq (newest first shown, "load older" above), text and images (camera or gallery on a
// phone), thumbnails that open the full image, read receipts and the other side typing, both
// live, the masked-contact notice (X5), and a closed chat shown read-only with why. Operators read
// it for a dispute (read-only; each read is recorded in the order's audit trail).

import { h } from '../dom.js';
import { uuid } from '../api.js';
import { upload } from './images.js';
import { emptyItem } from './kit.js';

const PAGE = 30;
const TYPING_EVERY = 3000; // at most one typing post per 3 s while typing
const TYPING_SHOWN = 5000; // a typing indicator goes after 5 s without another

export async function render(ctx) {
  const { t, root, params, me, app } = ctx;
  const orderID = params.id;
  const back = h('a', { class: 'link back', href: `#/orders/${encodeURIComponent(orderID)}`, text: `← ${t('chat.backToOrder')}` });
  root.append(back);
  let conv;
  try {
    conv = await ctx.api.get(`/v1/orders/${encodeURIComponent(orderID)}/conversation`);
  } catch (e) {
    // A worker who is told "not found" was taken off the order (or never had it); a customer's
    // order has no worker yet.
    const why = me.role === 'worker' ? 'chat.removed' : 'chat.none';
    root.append(e?.status === 404 || e?.status === 403 ? h('section', { class: 'card', id: 'chat-none', role: 'status' }, h('p', { text: t(why) })) : app.problem(e));
    return;
  }
  if (!ctx.current()) return;
  const cid = conv.id;
  const base = `/v1/conversations/${encodeURIComponent(cid)}`;
  const staff = !conv.me;
  const state = { conv, firstSeq: 0, lastSeq: 0, hasMore: false, seen: new Set() };

  const title = h('h1', { class: 'chat-title', id: 'chat-title' });
  const status = h('div', { id: 'chat-status' });
  const older = h('button', { type: 'button', class: 'link more', id: 'chat-older', hidden: true, text: t('chat.older') });
  const log = h('ol', { class: 'chat-log', id: 'chat-messages', 'aria-label': t('chat.messages') });
  const typing = h('p', { class: 'chat-typing muted small', id: 'chat-typing', 'aria-live': 'polite' });
  const notice = h('p', { class: 'chat-notice', id: 'chat-masked-notice', role: 'status', hidden: true });
  const err = h('div', { id: 'chat-error' });
  const viewer = imageViewer(ctx);
  const composer = staff ? null : composerOf(ctx, base, state, { send, sendImages, err });
  root.append(h('section', { class: 'chat', dataset: { conversation: cid } }, title, status, older, log, typing, notice, err, composer?.el || null), viewer.el);
  app.activeConversation = cid;
  ctx.app.cleanup.push(() => { if (app.activeConversation === cid) app.activeConversation = ''; });

  // ---- drawing ----
  const others = () => (state.conv.members || []).filter((m) => m.person_id !== me.id);
  const paintHead = () => {
    const names = others().map((m) => m.name).join('、');
    title.textContent = staff ? t('chat.staffTitle') : t('chat.with', { name: names || t('chat.nobody') });
    status.replaceChildren();
    if (staff) status.append(h('p', { class: 'chat-readonly muted small', id: 'chat-readonly', text: t('chat.staffNote') }));
    else if (!state.conv.writable) status.append(h('p', { class: 'chat-closed', id: 'chat-closed', role: 'status', text: closedReason(ctx, state.conv) }));
    if (composer) composer.el.hidden = !state.conv.writable;
  };
  // A message of mine is read once another member's read position reached it.
  const readUpTo = () => Math.max(0, ...others().map((m) => Number(m.last_read_seq || 0)));
  const paintReceipts = () => {
    const upTo = readUpTo();
    for (const r of log.querySelectorAll('.msg-mine .msg-receipt')) {
      const read = Number(r.closest('.msg').dataset.seq) <= upTo;
      r.textContent = t(read ? 'chat.read' : 'chat.unread');
      r.dataset.read = String(read);
    }
  };
  const nameOf = (id) => (state.conv.members || []).find((m) => m.person_id === id)?.name || '';
  const bubble = (m) => {
    const mine = m.sender_id === me.id;
    const li = h('li', { class: `msg ${mine ? 'msg-mine' : 'msg-theirs'}`, dataset: { seq: String(m.seq), id: m.id, sender: m.sender_id } },
      mine ? null : h('span', { class: 'msg-sender small muted', text: nameOf(m.sender_id) || t(`role.${m.sender_role}`) }),
      h('div', { class: 'msg-bubble' },
        m.text ? h('p', { class: 'msg-text', text: m.text }) : null,
        m.file_ids?.length ? thumbs(ctx, m.file_ids, viewer) : null,
        staff && m.original ? h('p', { class: 'msg-original small', text: t('chat.original', { text: m.original }) }) : null),
      h('span', { class: 'msg-meta small muted' }, h('time', { datetime: m.created_at, text: ctx.i18n.time(m.created_at) }),
        mine ? h('span', { class: 'msg-receipt' }) : null),
      mine && m.masked?.length ? h('p', { class: 'msg-masked small', text: t('chat.maskedMine') }) : null);
    return li;
  };
  const add = (msgs, where) => {
    const fresh = msgs.filter((m) => !state.seen.has(m.seq));
    for (const m of fresh) state.seen.add(m.seq);
    if (!fresh.length) return;
    log.querySelector('.empty')?.remove();
    const nodes = fresh.map(bubble);
    if (where === 'top') log.prepend(...nodes); else log.append(...nodes);
    state.firstSeq = Math.min(...[...state.seen]);
    state.lastSeq = Math.max(...[...state.seen]);
    paintReceipts();
  };
  const toBottom = () => { log.lastElementChild?.scrollIntoView({ block: 'end' }); };

  // ---- reading ----
  let marking = false;
  const markRead = async () => {
    if (staff || marking || document.visibilityState === 'hidden') return;
    if (Number(state.conv.me?.last_read_seq || 0) >= state.lastSeq) return;
    marking = true;
    try {
      const v = await ctx.api.post(`${base}/read`, { seq: state.lastSeq }, {});
      if (ctx.current()) { state.conv = v; }
    } catch { /* the next message or visit marks it */ } finally { marking = false; }
  };
  const loadNewest = async () => {
    const p = await ctx.api.get(`${base}/messages?limit=${PAGE}`);
    if (!ctx.current()) return;
    state.conv = p.conversation || state.conv;
    state.hasMore = p.has_more;
    add(p.items || [], 'bottom');
    if (!state.seen.size) log.replaceChildren(emptyItem(t('chat.empty')));
    older.hidden = !state.hasMore;
    paintHead();
    paintReceipts();
    toBottom();
  };
  const loadAfter = async () => {
    let more = true;
    while (more && ctx.current()) {
      const p = await ctx.api.get(`${base}/messages?after=${state.lastSeq}&limit=100`);
      state.conv = p.conversation || state.conv;
      add(p.items || [], 'bottom');
      more = p.has_more && (p.items || []).length > 0;
    }
    paintHead();
    toBottom();
  };
  older.addEventListener('click', async () => {
    older.disabled = true;
    try {
      const p = await ctx.api.get(`${base}/messages?before=${state.firstSeq}&limit=${PAGE}`);
      const first = log.firstElementChild;
      add(p.items || [], 'top');
      older.hidden = !p.has_more;
      first?.scrollIntoView({ block: 'start' });
    } catch (e) { err.replaceChildren(app.problem(e)); } finally { older.disabled = false; }
  });

  // ---- sending ----
  async function post(body) {
    const res = await ctx.api.post(`${base}/messages`, body, {});
    if (!ctx.current()) return res;
    add([res.message], 'bottom');
    toBottom();
    if (res.masked?.code) {
      notice.textContent = t(`chat.notice.${res.masked.code}`);
      notice.hidden = false;
    }
    return res;
  }
  async function send(text, clientID) { return post({ client_id: clientID, text }); }
  async function sendImages(ids) { return post({ client_id: uuid(), file_ids: ids }); }

  // ---- live ----
  let typingTimer = 0;
  const mine = (ev) => (ev.data || {}).conversation_id === cid;
  ctx.on('conversation.message', async (ev) => {
    if (!mine(ev)) return;
    const m = ev.data.message;
    if (m.seq > state.lastSeq + 1 && state.lastSeq > 0) await loadAfter().catch(() => {});
    else add([m], 'bottom');
    if (m.sender_id !== me.id) { typing.textContent = ''; clearTimeout(typingTimer); }
    toBottom();
    markRead();
  });
  ctx.on('conversation.read', (ev) => {
    if (!mine(ev)) return;
    const d = ev.data;
    for (const m of state.conv.members || []) if (m.person_id === d.person_id) { m.last_read_seq = Math.max(Number(m.last_read_seq || 0), d.last_read_seq); m.read_at = d.read_at; }
    if (d.person_id === me.id && state.conv.me) state.conv.me.last_read_seq = Math.max(Number(state.conv.me.last_read_seq || 0), d.last_read_seq);
    paintReceipts();
  });
  ctx.on('conversation.typing', (ev) => {
    if (!mine(ev) || ev.data.person_id === me.id) return;
    typing.textContent = t('chat.typing', { name: ev.data.name || nameOf(ev.data.person_id) });
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => { typing.textContent = ''; }, TYPING_SHOWN);
  });
  ctx.on('conversation.closed', (ev) => {
    if (!mine(ev)) return;
    root.replaceChildren(back, h('section', { class: 'card', id: 'chat-gone', role: 'status' }, h('p', { text: t('chat.removed') })));
  });
  // A closing time may pass while the screen is open, and the order may change (a new worker).
  ctx.on('notification.created', async (ev) => {
    const n = ev.data?.notification || ev.data || {};
    if (n.order_id !== orderID || n.data?.conversation_id === cid) return;
    try { state.conv = await ctx.api.get(base); if (ctx.current()) paintHead(); } catch { /* stays as it was */ }
  });
  const onVisible = () => { if (document.visibilityState === 'visible') markRead(); };
  document.addEventListener('visibilitychange', onVisible);
  ctx.app.cleanup.push(() => document.removeEventListener('visibilitychange', onVisible), () => clearTimeout(typingTimer));

  paintHead();
  await loadNewest();
  await markRead();
}

/** closedReason says why a member cannot write: the chat ended, or the order has no worker now. */
function closedReason(ctx, c) {
  const { t, i18n } = ctx;
  if (c.writable_until && Date.parse(c.writable_until) <= Date.now()) return t('chat.closedAt', { at: i18n.time(c.writable_until) });
  return t('chat.noWorker');
}

/** thumbs shows a message's images as thumbnails (fetched with the token); a tap opens the image. */
function thumbs(ctx, ids, viewer) {
  const strip = h('div', { class: 'msg-images' });
  for (const id of ids) {
    const img = h('img', { alt: ctx.t('chat.image'), class: 'msg-thumb-img', dataset: { file: id } });
    const b = h('button', { type: 'button', class: 'msg-thumb', 'aria-label': ctx.t('chat.openImage'), dataset: { file: id }, onclick: () => viewer.open(id) }, img);
    strip.append(b);
    blobOf(ctx, `/v1/files/${encodeURIComponent(id)}/thumbnail`).then((u) => { img.src = u; b.dataset.loaded = 'true'; },
      () => { b.classList.add('img-missing'); b.replaceChildren(ctx.t('img.missing')); b.disabled = true; });
  }
  return strip;
}

async function blobOf(ctx, url) {
  const r = await fetch(url, { headers: { Authorization: `Bearer ${ctx.api.token}` } });
  if (!r.ok) throw new Error(String(r.status));
  return URL.createObjectURL(await r.blob());
}

/** imageViewer is a dialog showing one full image. */
function imageViewer(ctx) {
  const img = h('img', { class: 'viewer-img', id: 'chat-image-full', alt: ctx.t('chat.image') });
  const close = h('button', { type: 'button', class: 'viewer-close', id: 'chat-image-close', text: ctx.t('common.close') });
  const el = h('dialog', { class: 'viewer', id: 'chat-image-view', 'aria-label': ctx.t('chat.image') }, close, img);
  close.addEventListener('click', () => el.close());
  el.addEventListener('click', (e) => { if (e.target === el) el.close(); });
  return {
    el,
    open: async (id) => {
      img.removeAttribute('src');
      img.dataset.file = id;
      el.showModal();
      try { img.src = await blobOf(ctx, `/v1/files/${encodeURIComponent(id)}`); } catch { el.close(); ctx.app.toast(ctx.t('img.missing'), 'error'); }
    },
  };
}

/** composerOf is the writing box: text (Enter sends, Shift+Enter a new line), camera and gallery. */
function composerOf(ctx, base, state, { send, sendImages, err }) {
  const { t, app } = ctx;
  const text = h('textarea', { id: 'chat-text', rows: 2, maxlength: 2000, placeholder: t('chat.placeholder'), 'aria-label': t('chat.placeholder') });
  const go = h('button', { type: 'submit', class: 'primary', id: 'chat-send', text: t('chat.send') });
  // Two inputs: a phone opens the camera for one (capture) and the gallery for the other.
  const camera = h('input', { type: 'file', id: 'chat-camera', accept: 'image/*', capture: 'environment', class: 'file-input' });
  const gallery = h('input', { type: 'file', id: 'chat-gallery', accept: 'image/*', multiple: true, class: 'file-input' });
  const pick = (input, label) => h('label', { class: 'chat-pick', for: input.id }, h('span', { class: 'chat-pick-label', text: label }), input);
  const sending = h('span', { class: 'muted small', id: 'chat-uploading', hidden: true, text: t('chat.uploading') });
  // A failed send keeps its client id: pressing send again is a retry the server answers once.
  let pending = null;
  const form = h('form', { class: 'chat-composer', id: 'chat-composer', onsubmit: async (ev) => {
    ev.preventDefault();
    const body = text.value;
    if (!body.trim()) return;
    if (!pending || pending.text !== body) pending = { text: body, id: uuid() };
    go.disabled = true;
    err.replaceChildren();
    try {
      await send(body, pending.id);
      pending = null;
      text.value = '';
    } catch (e) { err.replaceChildren(app.problem(e, { fields: { text: t('chat.placeholder') } })); } finally { go.disabled = false; text.focus(); }
  } }, text, h('div', { class: 'row between chat-tools' },
    h('div', { class: 'row gap' }, pick(camera, t('chat.camera')), pick(gallery, t('chat.gallery')), sending), go));
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  let lastTyping = 0;
  text.addEventListener('input', () => {
    const now = Date.now();
    if (!text.value.trim() || now - lastTyping < TYPING_EVERY) return;
    lastTyping = now;
    ctx.api.post(`${base}/typing`, {}, {}).catch(() => {});
  });
  const onFiles = async (input) => {
    const files = [...input.files].slice(0, 9);
    input.value = '';
    if (!files.length) return;
    sending.hidden = false;
    err.replaceChildren();
    try {
      const ids = [];
      for (const f of files) ids.push((await upload(ctx, f)).id);
      await sendImages(ids);
    } catch (e) { err.replaceChildren(app.problem(e)); } finally { sending.hidden = true; }
  };
  camera.addEventListener('change', () => onFiles(camera));
  gallery.addEventListener('change', () => onFiles(gallery));
  return { el: form };
}
