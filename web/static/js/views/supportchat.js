// supportchat.js: one support conversation (I3) as a pane, for the agent console and the customer's
// or worker's 联系客服 screen — messages (text, images, the platform's own lines such as the
// automatic reply), the composer (text, images from camera or gallery, and for agents the
// canned-reply picker), read receipts and typing, all live. The conversation itself is chat's:
// /v1/conversations/{id}/messages, /read, /typing.

import { h } from '../dom.js';
import { uuid } from '../api.js';
import { upload, imageStrip } from './images.js';
import { emptyItem } from './kit.js';

const TYPING_EVERY = 3000;
const TYPING_SHOWN = 5000;

/**
 * chatPane draws conversation cid. opts.canned: load the filled canned replies (agents).
 * Returns { el, load, message(ev), typing(ev), read(ev), setWritable(bool), focus() }.
 */
export function chatPane(ctx, cid, opts = {}) {
  const { t, me, app, api } = ctx;
  const base = `/v1/conversations/${encodeURIComponent(cid)}`;
  const state = { conv: null, seen: new Set(), lastSeq: 0 };
  const log = h('ol', { class: 'chat-log sc-log', id: 'sc-messages', 'aria-label': t('sc.messages') });
  const typing = h('p', { class: 'muted small sc-typing', id: 'sc-typing', 'aria-live': 'polite' });
  const err = h('div', { id: 'sc-error' });

  const nameOf = (id) => (state.conv?.members || []).find((m) => m.person_id === id)?.name || '';
  const others = () => (state.conv?.members || []).filter((m) => m.person_id !== me.id);
  const readUpTo = () => Math.max(0, ...others().map((m) => Number(m.last_read_seq || 0)));
  const paintReceipts = () => {
    const upTo = readUpTo();
    for (const r of log.querySelectorAll('.msg-mine .msg-receipt')) {
      const read = Number(r.closest('.msg').dataset.seq) <= upTo;
      r.textContent = t(read ? 'sc.read' : 'sc.unread');
      r.dataset.read = String(read);
    }
  };
  const bubble = (m) => {
    if (m.sender_role === 'system') {
      return h('li', { class: 'msg msg-system', dataset: { seq: String(m.seq), id: m.id } },
        h('p', { class: 'msg-system-text', text: m.text }), h('time', { class: 'small muted', datetime: m.created_at, text: ctx.i18n.time(m.created_at) }));
    }
    const mine = m.sender_id === me.id;
    return h('li', { class: `msg ${mine ? 'msg-mine' : 'msg-theirs'}`, dataset: { seq: String(m.seq), id: m.id, sender: m.sender_id } },
      mine ? null : h('span', { class: 'msg-sender small muted', text: nameOf(m.sender_id) || t(`role.${m.sender_role}`) }),
      h('div', { class: 'msg-bubble' }, m.text ? h('p', { class: 'msg-text', text: m.text }) : null, imageStrip(ctx, m.file_ids)),
      h('span', { class: 'msg-meta small muted' }, h('time', { datetime: m.created_at, text: ctx.i18n.time(m.created_at) }),
        mine ? h('span', { class: 'msg-receipt' }) : null));
  };
  const add = (msgs) => {
    const fresh = msgs.filter((m) => !state.seen.has(m.seq)).sort((a, b) => a.seq - b.seq);
    if (!fresh.length) return;
    log.querySelector('.empty')?.remove();
    for (const m of fresh) {
      state.seen.add(m.seq);
      state.lastSeq = Math.max(state.lastSeq, m.seq);
      // Keep seq order even when a live frame overtakes a page.
      const after = [...log.children].find((li) => Number(li.dataset.seq) > m.seq);
      log.insertBefore(bubble(m), after || null);
    }
    paintReceipts();
    log.lastElementChild?.scrollIntoView({ block: 'end' });
  };

  let marking = false;
  const markRead = async () => {
    if (!state.conv?.me || marking || document.visibilityState === 'hidden') return;
    if (Number(state.conv.me.last_read_seq || 0) >= state.lastSeq) return;
    marking = true;
    try {
      const v = await api.post(`${base}/read`, { seq: state.lastSeq }, {});
      state.conv = v;
      opts.onRead?.();
    } catch { /* the next message marks it */ } finally { marking = false; }
  };

  // ---- composer ----
  const text = h('textarea', { id: 'sc-text', rows: 2, maxlength: 2000, placeholder: t('sc.placeholder'), 'aria-label': t('sc.placeholder') });
  const go = h('button', { type: 'submit', class: 'primary', id: 'sc-send', text: t('sc.send') });
  const camera = h('input', { type: 'file', id: 'sc-camera', accept: 'image/*', capture: 'environment', class: 'file-input' });
  const gallery = h('input', { type: 'file', id: 'sc-gallery', accept: 'image/jpeg,image/png,image/webp', multiple: true, class: 'file-input' });
  const pick = (input, label) => h('label', { class: 'sc-pick', for: input.id }, h('span', { text: label }), input);
  const uploading = h('span', { class: 'muted small', id: 'sc-uploading', hidden: true, text: t('sc.uploading') });
  const canned = opts.canned ? h('select', { id: 'sc-canned', 'aria-label': t('sc.canned') }, h('option', { value: '', text: t('sc.canned') })) : null;
  if (canned) {
    api.get(`/v1/support/conversations/${encodeURIComponent(cid)}/canned-replies`).then((res) => {
      for (const c of res.items || []) canned.append(h('option', { value: c.text, text: c.title }));
    }, () => {});
    canned.addEventListener('change', () => {
      if (!canned.value) return;
      text.value = text.value ? `${text.value}\n${canned.value}` : canned.value;
      canned.value = '';
      text.focus();
    });
  }
  let pending = null; // a failed send keeps its client id: sending again is a retry
  const post = async (body) => {
    const res = await api.post(`${base}/messages`, body, {});
    add([res.message]);
    opts.onSent?.();
    return res;
  };
  const form = h('form', { class: 'chat-composer sc-composer', id: 'sc-composer', onsubmit: async (ev) => {
    ev.preventDefault();
    const body = text.value;
    if (!body.trim()) return;
    if (!pending || pending.text !== body) pending = { text: body, id: uuid() };
    go.disabled = true;
    err.replaceChildren();
    try {
      await post({ client_id: pending.id, text: body });
      pending = null;
      text.value = '';
    } catch (e) { err.replaceChildren(app.problem(e, { fields: { text: t('sc.placeholder') } })); } finally { go.disabled = false; }
  } }, text, h('div', { class: 'row between wrap sc-tools' },
    h('div', { class: 'row gap' }, pick(camera, t('sc.camera')), pick(gallery, t('sc.gallery')), canned, uploading), go));
  text.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); form.requestSubmit(); }
  });
  let lastTyping = 0;
  text.addEventListener('input', () => {
    const now = Date.now();
    if (!text.value.trim() || now - lastTyping < TYPING_EVERY || !state.conv?.me) return;
    lastTyping = now;
    api.post(`${base}/typing`, {}, {}).catch(() => {});
  });
  const onFiles = async (input) => {
    const files = [...input.files].slice(0, 9);
    input.value = '';
    if (!files.length) return;
    uploading.hidden = false;
    err.replaceChildren();
    try {
      const ids = [];
      for (const f of files) ids.push((await upload(ctx, f)).id);
      await post({ client_id: uuid(), file_ids: ids });
    } catch (e) { err.replaceChildren(app.problem(e)); } finally { uploading.hidden = true; }
  };
  camera.addEventListener('change', () => onFiles(camera));
  gallery.addEventListener('change', () => onFiles(gallery));

  const el = h('div', { class: 'sc-pane', dataset: { conversation: cid } }, log, typing, err, form);
  let typingTimer = 0;
  ctx.app.cleanup.push(() => clearTimeout(typingTimer));

  return {
    el,
    /** load reads the newest messages and the conversation (members, read positions). */
    async load() {
      const p = await api.get(`${base}/messages?limit=100`);
      state.conv = p.conversation;
      form.hidden = !state.conv?.writable;
      add(p.items || []);
      if (!state.seen.size) log.replaceChildren(emptyItem(t('sc.empty')));
      paintReceipts();
      await markRead();
    },
    /** message takes a conversation.message frame of this conversation. */
    async message(ev) {
      const m = ev.data.message;
      if (state.lastSeq && m.seq > state.lastSeq + 1) {
        const p = await api.get(`${base}/messages?after=${state.lastSeq}&limit=100`).catch(() => null);
        if (p) { state.conv = p.conversation || state.conv; add(p.items || []); }
      } else add([m]);
      if (m.sender_id !== me.id) { typing.textContent = ''; clearTimeout(typingTimer); }
      await markRead();
    },
    typing(ev) {
      if (ev.data.person_id === me.id) return;
      typing.textContent = t('sc.typing', { name: ev.data.name || nameOf(ev.data.person_id) });
      clearTimeout(typingTimer);
      typingTimer = setTimeout(() => { typing.textContent = ''; }, TYPING_SHOWN);
    },
    read(ev) {
      const d = ev.data;
      for (const m of state.conv?.members || []) if (m.person_id === d.person_id) m.last_read_seq = Math.max(Number(m.last_read_seq || 0), d.last_read_seq);
      paintReceipts();
    },
    /** refresh re-reads membership (after a claim or transfer the composer appears or goes). */
    async refresh() {
      try { state.conv = await api.get(base); form.hidden = !state.conv?.writable; paintReceipts(); } catch { /* stays */ }
    },
    focus() { text.focus(); },
  };
}

/** waited says how long since iso, in minutes or hours ("已等待 3 分钟"). */
export function waited(ctx, iso) {
  const ms = Math.max(0, Date.now() - Date.parse(iso || 0));
  const min = Math.floor(ms / 60000);
  if (min < 1) return ctx.t('sc.waitedNow');
  if (min < 60) return ctx.t('sc.waitedMin', { n: min });
  return ctx.t('sc.waitedHour', { h: Math.floor(min / 60), m: min % 60 });
}

/** supportStatusChip shows open / pending / resolved. */
export function supportStatusChip(ctx, status) {
  return h('span', { class: `status sup-${status}`, dataset: { status }, text: ctx.t(`sc.status.${status}`) });
}
