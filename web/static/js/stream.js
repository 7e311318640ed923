// stream.js is the one realtime client: Server-Sent Events from /v1/events, resumed from the last
// seq it saw after any drop, with backoff. It hands each event to onEvent exactly once.

const TYPES = ['notification.created', 'notification.read', 'unread.changed', 'order.changed', 'message.created', 'campaign.live', 'review.changed',
  'conversation.message', 'conversation.read', 'conversation.typing', 'conversation.closed', 'support.updated', 'support.queue'];

/** Stream keeps one EventSource open for a person and survives dropped connections. */
export class Stream {
  /**
   * @param {object} o
   * @param {() => string} o.token returns the current bearer token
   * @param {string} o.person the signed-in person's id (the last seq is remembered per person)
   * @param {(ev: {seq:number, type:string, data:any, created_at:string}) => void} o.onEvent
   * @param {(state: 'open'|'closed'|'retrying') => void} [o.onState]
   */
  constructor(o) {
    this.o = o;
    this.key = `homebell.seq.${o.person}`;
    const saved = Number(sessionStorage.getItem(this.key));
    this.lastSeq = Number.isFinite(saved) && saved > 0 ? saved : null;
    this.es = null;
    this.timer = null;
    this.attempt = 0;
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.es) this.es.close();
    this.es = null;
    this.o.onState?.('closed');
  }

  connect() {
    if (this.stopped) return;
    const p = new URLSearchParams({ access_token: this.o.token() });
    if (this.lastSeq !== null) p.set('after', String(this.lastSeq));
    const es = new EventSource(`/v1/events?${p}`);
    this.es = es;
    const handle = (msg) => this.handle(msg);
    es.addEventListener('message', handle);
    for (const t of TYPES) es.addEventListener(t, handle);
    // The first frame says where the stream starts; a fresh client resumes from there next time.
    es.addEventListener('stream.open', (msg) => {
      try {
        const ev = JSON.parse(msg.data);
        if (this.lastSeq === null && Number.isFinite(ev?.data?.last_seq)) this.remember(ev.data.last_seq);
      } catch { /* ignore */ }
    });
    // The server closes streams on shutdown (reconnect soon) or when too many are open (back off).
    es.addEventListener('stream.close', (msg) => {
      let reason = '';
      try { reason = JSON.parse(msg.data).reason; } catch { /* ignore */ }
      if (reason === 'too_many_streams') this.attempt = Math.max(this.attempt, 5);
      es.dispatchEvent(new Event('error'));
    });
    es.addEventListener('open', () => { this.attempt = 0; this.o.onState?.('open'); });
    es.addEventListener('error', () => {
      // The browser would reconnect with the URL's old "after"; reconnect ourselves from lastSeq.
      es.close();
      if (this.es !== es || this.stopped) return;
      this.es = null;
      this.o.onState?.('retrying');
      const delay = Math.min(30000, 500 * 2 ** this.attempt) * (0.75 + Math.random() / 2);
      this.attempt = Math.min(this.attempt + 1, 8);
      this.timer = setTimeout(() => this.connect(), delay);
    });
  }

  remember(seq) {
    this.lastSeq = seq;
    sessionStorage.setItem(this.key, String(seq));
  }

  handle(msg) {
    let ev;
    try { ev = JSON.parse(msg.data); } catch { return; }
    if (!ev || typeof ev !== 'object') return;
    const seq = Number(ev.seq ?? msg.lastEventId);
    if (Number.isFinite(seq) && seq > 0) {
      if (this.lastSeq !== null && seq <= this.lastSeq) return; // already seen: never doubled
      this.remember(seq);
    }
    if (!ev.type) ev.type = msg.type;
    this.o.onEvent(ev);
  }
}

let audio = null;

/** unlockAudio prepares WebAudio on a user gesture (browsers refuse to start it otherwise). */
export function unlockAudio() {
  try {
    if (!audio) audio = new (globalThis.AudioContext || globalThis.webkitAudioContext)();
    if (audio.state === 'suspended') audio.resume();
  } catch { audio = null; }
}

/** alertFor plays the alert style that came with a notification: sound, vibration or nothing. */
export function alertFor(style) {
  if (style === 'sound') beep();
  else if (style === 'vibration' && navigator.vibrate) navigator.vibrate([120, 60, 120]);
}

function beep() {
  try {
    if (!audio) audio = new (globalThis.AudioContext || globalThis.webkitAudioContext)();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = 'sine';
    osc.frequency.value = 880;
    gain.gain.setValueAtTime(0.0001, audio.currentTime);
    gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, audio.currentTime + 0.25);
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.3);
  } catch { /* no audio here: the badge still shows */ }
}
