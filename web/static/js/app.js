// app.js is the shell: sign-in, header with the unread badge, navigation per role, a small hash
// router that loads views as modules, the realtime stream and live alerts. A new screen is a
// module in views/ plus one line in ROUTES.

import { Api, ApiError } from './api.js';
import { I18n } from './i18n.js';
import { Stream, alertFor, unlockAudio } from './stream.js';
import { h, replace, avatar } from './dom.js';
import { shareSession } from './push.js';

const ALL = ['customer', 'worker', 'agent', 'operator'];

/** ROUTES: path pattern, roles, nav label (omit to hide from the menu), view module. */
const ROUTES = [
  { path: 'book', roles: ['customer'], nav: 'nav.book', icon: '＋', view: './views/book.js' },
  { path: 'open', roles: ['worker'], nav: 'nav.open', icon: '◎', view: './views/open.js' },
  { path: 'approvals', roles: ['operator'], nav: 'nav.approvals', icon: '✓', view: './views/approvals.js', badge: 'approvals' },
  { path: 'escalations', roles: ['operator'], nav: 'nav.escalations', icon: '⚠', view: './views/escalations.js' },
  { path: 'orders', roles: ['customer', 'worker', 'operator'], nav: { customer: 'nav.orders', worker: 'nav.schedule', operator: 'nav.allOrders' }, icon: '☰', view: './views/orders.js' },
  { path: 'orders/:id', roles: ['customer', 'worker', 'operator'], view: './views/order.js' },
  { path: 'orders/:id/chat', roles: ['customer', 'worker', 'operator'], view: './views/chat.js' },
  { path: 'reviews', roles: ['worker'], nav: 'nav.reviews', icon: '★', view: './views/reviews.js' },
  { path: 'support', roles: ['agent'], nav: 'nav.support', icon: '☏', view: './views/support.js' },
  { path: 'help', roles: ['customer', 'worker'], nav: 'nav.help', icon: '☏', view: './views/help.js' },
  { path: 'help/:id', roles: ['customer', 'worker'], view: './views/help.js' },
  { path: 'support-admin', roles: ['operator'], nav: 'nav.supportAdmin', icon: '☏', view: './views/deskadmin.js' },
  { path: 'inbox', roles: ALL, nav: 'nav.inbox', icon: '✉', view: './views/inbox.js', badge: true },
  { path: 'campaigns', roles: ['operator'], nav: 'nav.campaigns', icon: '✦', view: './views/campaigns.js' },
  { path: 'campaigns/:id', roles: ALL, view: './views/campaign.js' },
  { path: 'feedback', roles: ['customer', 'worker'], nav: 'nav.feedback', icon: '✎', view: './views/feedback.js' },
  { path: 'feedback-triage', roles: ['operator'], nav: 'nav.feedbackTriage', icon: '✎', view: './views/triage.js' },
  { path: 'platform', roles: ['operator'], nav: 'nav.platform', icon: '⚙', view: './views/platform.js' },
  { path: 'wechat', roles: ['operator'], nav: 'nav.wechat', icon: '微', view: './views/wechat.js' },
  { path: 'settings', roles: ALL, nav: 'nav.settings', icon: '☼', view: './views/settings.js' },
];

/** fieldMessage translates the server's message about a field (known phrasings only). */
function fieldMessage(i18n, field, msg) {
  const m = String(msg || '');
  const known = [
    [/future/i, 'fieldMsg.future'], [/required/i, 'fieldMsg.required'], [/at most (\d+)/i, 'fieldMsg.tooLong'],
    [/time zone/i, 'fieldMsg.timeZone'], [/window|start.*end|end.*start/i, 'fieldMsg.window'], [/no such|unknown|not a /i, 'fieldMsg.unknown'],
    [/RFC 3339|time/i, 'fieldMsg.time'], [/must be/i, 'fieldMsg.invalid'],
  ];
  for (const [re, key] of known) {
    const hit = m.match(re);
    if (hit) return i18n.t(key, { n: hit[1] || '' });
  }
  return i18n.t('fieldMsg.invalid');
}

/** noteHref is where a notification leads: a support conversation, an order's chat, the order, or the message center. */
function noteHref(n, role) {
  const d = n.data || {};
  if (d.conversation_kind === 'support' && d.conversation_id) return role === 'agent' ? '#/support' : `#/help/${encodeURIComponent(d.conversation_id)}`;
  if (n.kind === 'support.rated_low') return '#/support-admin';
  if (n.kind === 'household.watcher_added' && !n.order_id) return '#/orders'; // all of a customer's orders: 我关注的订单
  if (!n.order_id) return '#/inbox';
  const o = `#/orders/${encodeURIComponent(n.order_id)}`;
  return n.data?.conversation_id && n.data?.conversation_kind === 'order' ? `${o}/chat` : o;
}

const HOME = { customer: 'book', worker: 'open', operator: 'approvals', agent: 'support' };

class App {
  constructor() {
    this.api = new Api();
    this.i18n = new I18n(localStorage.getItem('homebell.locale') || 'zh-CN');
    this.t = (k, v) => this.i18n.t(k, v);
    this.me = null;
    this.unread = { total: 0, by_category: {} };
    this.bus = new EventTarget();
    this.stream = null;
    this.cleanup = [];
    this.people = new Map();
    this.items = null;
    this.received = []; // seqs handed to the app, in order (each exactly once)
    this.toastMs = { note: 6000, ok: 4000, error: 8000 }; // how long a toast stays (tests may lengthen it)
    this.api.onUnauthorized = () => { if (this.me) this.signOut(); };
    document.addEventListener('click', unlockAudio, { capture: true });
    document.addEventListener('keydown', unlockAudio, { capture: true });
    window.addEventListener('hashchange', () => this.route());
  }

  async start() {
    if (!this.api.token) return this.showSignIn();
    try {
      this.me = await this.api.get('/v1/me');
    } catch (e) {
      this.api.setToken('');
      return this.showSignIn(e);
    }
    this.i18n.set(this.me.locale || 'zh-CN');
    localStorage.setItem('homebell.locale', this.i18n.locale);
    shareSession(this.api.token, this.i18n.locale);
    this.renderShell();
    this.startStream();
    this.refreshUnread();
    this.refreshApprovals();
    this.route();
  }

  // ---- sign-in -------------------------------------------------------------------------------

  async showSignIn(err) {
    this.stopStream();
    const root = document.getElementById('app');
    const box = h('main', { class: 'signin', id: 'signin' });
    replace(root, h('header', { class: 'signin-head' },
      h('h1', { text: this.t('app.name') }), h('p', { class: 'muted', text: this.t('app.tagline') }),
      h('button', { class: 'link lang', type: 'button', text: this.t('lang.switch'), onclick: () => this.toggleLocale() })), box);
    if (err) box.append(this.problem(err));
    try {
      const res = await this.api.get('/v1/demo/people');
      box.append(h('h2', { text: this.t('signin.title') }), h('p', { class: 'muted', text: this.t('signin.hint') }));
      const list = h('ul', { class: 'people' });
      const order = { customer: 0, worker: 1, agent: 2, operator: 3 };
      const people = [...(res.items || [])].sort((a, b) => (order[a.role] ?? 9) - (order[b.role] ?? 9));
      for (const p of people) {
        list.append(h('li', null, h('button', {
          class: 'person-pick', type: 'button', dataset: { person: p.id },
          onclick: () => this.demoSignIn(p.id, box),
        }, avatar(p, 'lg'), h('span', { class: 'person-name', text: p.name }),
        h('span', { class: `role role-${p.role}`, text: this.t(`role.${p.role}`) }),
        p.bio ? h('span', { class: 'person-bio', text: p.bio }) : null)));
      }
      box.append(list);
    } catch (e) {
      if (!(e instanceof ApiError) || e.status !== 404) box.append(this.problem(e));
      this.tokenForm(box);
    }
  }

  tokenForm(box) {
    const input = h('textarea', { id: 'token-input', rows: 4, autocomplete: 'off', spellcheck: 'false' });
    const form = h('form', { class: 'card token-form', onsubmit: async (ev) => {
      ev.preventDefault();
      this.api.setToken(input.value.trim());
      await this.start();
    } }, h('h2', { text: this.t('signin.token') }), h('p', { class: 'muted', text: this.t('signin.tokenHint') }), input,
    h('button', { class: 'primary', type: 'submit', text: this.t('signin.go') }));
    box.append(form);
  }

  async demoSignIn(id, box) {
    try {
      const res = await this.api.post('/v1/demo/sign-in', { person_id: id });
      this.api.setToken(res.token);
      location.hash = '';
      await this.start();
    } catch (e) { box.prepend(this.problem(e)); }
  }

  signOut() {
    this.stopStream();
    this.api.setToken('');
    shareSession('', this.i18n.locale);
    this.me = null;
    this.people.clear();
    location.hash = '';
    this.showSignIn();
  }

  async toggleLocale() {
    const next = this.i18n.locale === 'en' ? 'zh-CN' : 'en';
    if (this.me) {
      try { this.me = await this.api.patch('/v1/me', { locale: next }); } catch (e) { this.fail(e); return; }
    }
    this.i18n.set(next);
    localStorage.setItem('homebell.locale', next);
    if (this.me) shareSession(this.api.token, next);
    if (this.me) { this.renderShell(); this.route(); this.renderBadges(); } else this.showSignIn();
  }

  // ---- shell ---------------------------------------------------------------------------------

  renderShell() {
    const root = document.getElementById('app');
    const role = this.me.role;
    const nav = h('nav', { class: 'nav', 'aria-label': 'main' });
    for (const r of ROUTES) {
      if (!r.nav || !r.roles.includes(role)) continue;
      const label = typeof r.nav === 'string' ? r.nav : r.nav[role];
      nav.append(h('a', { href: `#/${r.path}`, class: 'nav-link', dataset: { path: r.path } },
        h('span', { class: 'nav-icon', 'aria-hidden': 'true', text: r.icon }), h('span', { class: 'nav-label', text: this.t(label) }),
        r.badge ? h('span', { class: 'badge nav-badge', dataset: { badge: r.badge === true ? 'unread' : r.badge }, hidden: true }) : null));
    }
    // The bell's name is its words plus the count it shows, so what is read out matches what is seen.
    const bell = h('a', { class: 'bell', href: '#/inbox', id: 'bell' },
      h('img', { class: 'bell-icon', src: '/icons/bell.svg', alt: '', width: 22, height: 22 }), h('span', { class: 'sr-only', text: this.t('nav.inbox') }),
      h('span', { class: 'badge', id: 'unread-badge', hidden: true }));
    const header = h('header', { class: 'top' },
      h('a', { class: 'brand', href: `#/${HOME[role]}`, text: this.t('app.name') }),
      h('span', { class: 'conn', id: 'conn', hidden: true, text: this.t('stream.retrying') }),
      h('div', { class: 'top-actions' }, bell,
        h('button', { class: 'link lang', type: 'button', id: 'lang', text: this.t('lang.switch'), onclick: () => this.toggleLocale() }),
        h('span', { class: 'me', id: 'me' }, avatar(this.me, 'sm'), h('span', { class: 'me-name', text: this.me.name }),
          h('span', { class: `role role-${role}`, text: this.t(`role.${role}`) })),
        h('button', { class: 'link', type: 'button', id: 'signout', text: this.t('signout'), onclick: () => this.signOut() })));
    this.main = h('main', { class: 'main', id: 'main' });
    this.toasts = h('div', { class: 'toasts', id: 'toasts', role: 'status', 'aria-live': 'polite' });
    replace(root, h('div', { class: `shell shell-${role}` }, header, this.toasts, nav, this.main));
  }

  /** route renders the view for location.hash. */
  async route() {
    if (!this.me) return;
    const path = location.hash.replace(/^#\/?/, '') || HOME[this.me.role];
    const parts = path.split('?')[0].split('/');
    let match = null; let params = {};
    for (const r of ROUTES) {
      const segs = r.path.split('/');
      if (segs.length !== parts.length || !r.roles.includes(this.me.role)) continue;
      const p = {};
      if (segs.every((s, i) => (s.startsWith(':') ? (p[s.slice(1)] = decodeURIComponent(parts[i]), true) : s === parts[i]))) { match = r; params = p; break; }
    }
    if (!match) { location.hash = `#/${HOME[this.me.role]}`; return; }
    for (const a of document.querySelectorAll('.nav-link')) a.classList.toggle('active', a.dataset.path === match.path || (match.path === 'orders/:id' && a.dataset.path === 'orders') || (match.path === 'help/:id' && a.dataset.path === 'help'));
    for (const f of this.cleanup.splice(0)) f();
    this.clearToast(true);
    const seq = (this.routeSeq = (this.routeSeq || 0) + 1);
    const root = h('div', { class: 'view', dataset: { view: match.path } });
    const loading = h('p', { class: 'muted loading', text: this.t('common.loading') });
    replace(this.main, loading, root);
    try {
      const mod = await import(match.view);
      if (seq !== this.routeSeq) return;
      await mod.render(this.context(root, params, seq));
    } catch (e) {
      if (seq !== this.routeSeq) return;
      root.append(this.problem(e));
    } finally {
      loading.remove();
      root.dataset.ready = 'true'; // the view has drawn what it first loads
    }
  }

  /** context is what a view gets: the app, its root element, route params, and on(type, fn) for live events. */
  context(root, params, seq) {
    return {
      app: this, root, params, t: this.t, i18n: this.i18n, api: this.api, me: this.me,
      current: () => seq === this.routeSeq,
      on: (type, fn) => {
        const l = (e) => fn(e.detail);
        this.bus.addEventListener(type, l);
        this.cleanup.push(() => this.bus.removeEventListener(type, l));
      },
    };
  }

  // ---- live ----------------------------------------------------------------------------------

  startStream() {
    this.stopStream();
    const startedAt = Date.now();
    this.stream = new Stream({
      token: () => this.api.token,
      person: this.me.id,
      onState: (s) => { const c = document.getElementById('conn'); if (c) c.hidden = s !== 'retrying'; },
      onEvent: (ev) => this.onEvent(ev, startedAt),
    });
    this.stream.start();
  }

  stopStream() { if (this.stream) this.stream.stop(); this.stream = null; }

  onEvent(ev, startedAt) {
    if (ev.seq > 0) this.received.push(ev.seq); // broadcasts (campaign.live) are in no log: seq 0
    if (ev.type === 'notification.created') {
      const n = ev.data?.notification || ev.data || {};
      const fresh = !ev.created_at || Date.parse(ev.created_at) > startedAt - 10000;
      // A message in the conversation on screen is seen there; no toast for it.
      const onScreen = n.data?.conversation_id && n.data.conversation_id === this.activeConversation;
      if (fresh && !onScreen) {
        const style = ev.data?.alert || n.alert || 'badge';
        alertFor(style);
        this.toast(n.title || '', 'note', n.body, noteHref(n, this.me?.role), style);
      }
    }
    // The server sends the counts (unread.changed) whenever they change and when the stream opens.
    if (ev.type === 'unread.changed' && ev.data && typeof ev.data.total === 'number') this.setUnread(ev.data);
    this.bus.dispatchEvent(new CustomEvent(ev.type, { detail: ev }));
    this.bus.dispatchEvent(new CustomEvent('any', { detail: ev }));
    this.refreshApprovals();
  }

  /** refreshApprovals counts what waits for an operator (the badge on 待审批), at most once a second. */
  refreshApprovals() {
    if (this.me?.role !== 'operator' || this.approvalsTimer) return;
    this.approvalsTimer = setTimeout(async () => {
      this.approvalsTimer = 0;
      try {
        const a = await this.api.get('/v1/approvals');
        this.setApprovals((a.time_changes || []).length + (a.cancellations || []).length + (a.worker_changes || []).length + (a.visits || []).length);
      } catch { /* the badge waits for the next event */ }
    }, 300);
  }

  /** setApprovals shows n on the approvals badge. */
  setApprovals(n) {
    for (const b of document.querySelectorAll('.nav-badge[data-badge="approvals"]')) {
      b.textContent = n > 99 ? '99+' : String(n);
      b.hidden = !n;
      b.dataset.count = String(n);
    }
  }

  async refreshUnread() {
    let u;
    try {
      u = await this.api.get('/v1/me/inbox/unread');
    } catch { return; }
    this.setUnread(u);
  }

  /** setUnread shows the message center's counts (from GET …/unread or an unread.changed event). */
  setUnread(u) {
    this.unread = u;
    this.renderBadges();
    this.bus.dispatchEvent(new CustomEvent('unread', { detail: this.unread }));
  }

  renderBadges() {
    const n = Number(this.unread?.total || 0);
    for (const b of document.querySelectorAll('#unread-badge, .nav-badge[data-badge="unread"]')) {
      b.textContent = n > 99 ? '99+' : String(n);
      b.hidden = n === 0;
      b.dataset.count = String(n);
    }
    document.title = n ? `(${n}) ${this.t('app.name')}` : this.t('app.name');
  }

  // ---- helpers for views ---------------------------------------------------------------------

  /**
   * errText turns an error into words for the person, in their language: the problem code and
   * the fields at fault are translated (err.CODE, field.NAME, fieldMsg.*); the server's English
   * detail is never shown. opts.fields names fields the view labels itself ({appointment_at: '…'}).
   */
  errText(e, opts = {}) {
    if (!(e instanceof ApiError)) return this.t('err.unknown');
    const code = e.status === 0 ? 'network' : e.code || '';
    if (code === 'invalid' && e.errors?.length) {
      const parts = e.errors.map((f) => {
        const name = opts.fields?.[f.field] || this.fieldLabel(f.field);
        const why = fieldMessage(this.i18n, f.field, f.message);
        return why ? this.t('err.fieldIs', { field: name, why }) : name;
      });
      return this.t('err.invalidFields', { fields: parts.join(this.t('err.sep')) });
    }
    const k = `err.${code}`;
    if (code && this.i18n.has(k)) return this.t(k);
    if (e.status >= 500) return this.t('err.internal');
    return this.t('err.unknown');
  }

  /** fieldLabel names a request field in the person's words (field.NAME), or "this field". */
  fieldLabel(name) {
    const k = `field.${name}`;
    return this.i18n.has(k) ? this.t(k) : this.t('field.other');
  }

  /** problem renders an error for the user, translated (see errText). */
  problem(e, opts) {
    return h('div', { class: 'problem', role: 'alert', dataset: { code: e?.code || '' } }, this.errText(e, opts));
  }

  /**
   * toast shows one short message at a time (the newest replaces the last) in a bar under the
   * header, where it covers none of the page's actions. It is dismissible, goes by itself after a
   * few seconds and is cleared on navigation — unless opts.carry, which keeps it across the one
   * navigation the same action causes (e.g. "booked" on the way to the new order's page).
   * kind: 'note' (a live notice), 'ok' (what you did worked) or 'error'.
   */
  toast(title, kind = 'note', body = '', href = '', style = '', opts = {}) {
    if (!this.toasts) return;
    this.clearToast();
    const text = h(href ? 'a' : 'div', { class: 'toast-text', href: href || undefined },
      h('strong', { text: title }), body ? h('span', { text: body }) : null);
    const close = h('button', { type: 'button', class: 'toast-close', 'aria-label': this.t('common.close'), text: '×', onclick: () => this.clearToast() });
    const el = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : undefined, dataset: { alert: style || '', kind, carry: opts.carry ? 'true' : '' } }, text, close);
    this.toasts.append(el);
    this.toastTimer = setTimeout(() => el.remove(), this.toastMs[kind] ?? this.toastMs.note);
  }

  /** ok confirms what the person just did; call it only once the request has succeeded. */
  ok(text, opts) { this.toast(text, 'ok', '', '', '', opts); }

  /** fail shows a failed request as a translated error toast (see errText). */
  fail(e, opts) { this.toast(this.errText(e, opts), 'error'); }

  /** clearToast removes the toast; onRoute keeps one raised with carry (once). */
  clearToast(onRoute = false) {
    if (!this.toasts) return;
    clearTimeout(this.toastTimer);
    for (const el of [...this.toasts.children]) {
      if (onRoute && el.dataset.carry === 'true') { el.dataset.carry = ''; continue; }
      el.remove();
    }
  }

  async catalogue() {
    if (!this.items) {
      const res = await this.api.get('/v1/service-items');
      this.items = new Map((res.items || []).map((i) => [i.id, i]));
    }
    return this.items;
  }

  /** person returns another party's public card (cached). */
  async person(id) {
    if (!id) return null;
    if (!this.people.has(id)) {
      this.people.set(id, this.api.get(`/v1/people/${encodeURIComponent(id)}`).catch(() => ({ id, name: id })));
    }
    return this.people.get(id);
  }
}

const app = new App();
// Anything the Content-Security-Policy blocks is a bug in the app; the browser tests read this list.
app.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  app.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
  console.warn('CSP violation', e.violatedDirective, e.blockedURI);
});
globalThis.homebell = app; // for debugging in the console
app.start();
