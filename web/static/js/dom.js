// dom.js builds elements safely: strings always become text nodes, never HTML.

/**
 * h makes an element. attrs: class, text, on<Event> handlers, dataset (object), and any other
 * attribute set with setAttribute. Children may be strings, numbers, nodes, arrays, null/false.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k === 'class') el.className = v;
      else if (k === 'text') el.textContent = String(v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2).toLowerCase(), v);
      else if (k === 'value') el.value = v;
      else if (k === 'checked' || k === 'disabled' || k === 'selected' || k === 'hidden') el[k] = Boolean(v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** clear empties an element and appends the given children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** avatar renders a person's picture; a broken or missing URL falls back to the default. */
export function avatar(person, size = 'md') {
  const img = h('img', { class: `avatar avatar-${size}`, alt: person?.name || '', src: safeURL(person?.avatar_url) || '/avatars/default.svg' });
  img.addEventListener('error', () => { img.src = '/avatars/default.svg'; }, { once: true });
  return img;
}

/** safeURL admits only same-origin paths and http(s) URLs (never javascript: or data:). */
export function safeURL(u) {
  if (!u || typeof u !== 'string') return '';
  if (u.startsWith('/') && !u.startsWith('//')) return u;
  try {
    const p = new URL(u);
    return p.protocol === 'https:' || p.protocol === 'http:' ? p.href : '';
  } catch { return ''; }
}

/** field wraps a labelled control. */
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label', text: label }), control,
    hint ? h('span', { class: 'field-hint', text: hint }) : null);
}
