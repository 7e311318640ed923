// images.js: attaching images (uploaded with POST /v1/files) and showing attached images. Images
// are fetched with the bearer token and shown from blob: URLs, so no token ever goes into a URL.

import { h } from '../dom.js';
import { ApiError } from '../api.js';

/** upload sends one image to POST /v1/files and returns the stored file ({id, …}). */
export async function upload(ctx, file) {
  const body = new FormData();
  body.append('file', file, file.name || 'image');
  let res;
  try {
    res = await fetch('/v1/files', { method: 'POST', headers: { Authorization: `Bearer ${ctx.api.token}`, Accept: 'application/json' }, body });
  } catch (e) {
    throw new ApiError(0, { title: 'network', detail: e.message || String(e), code: 'network' });
  }
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/**
 * imagePicker is a file input that uploads at once and lists thumbnails; ids() returns the file
 * ids. With opts.camera a second input (`${id}-camera`, capture) opens a phone's camera.
 */
export function imagePicker(ctx, id, max, opts = {}) {
  const { t } = ctx;
  const chosen = [];
  const thumbs = h('div', { class: 'img-strip', id: `${id}-list` });
  const errors = h('div');
  const input = h('input', { type: 'file', id, accept: 'image/jpeg,image/png,image/webp,image/gif', multiple: true, class: 'file-input' });
  const take = async (source) => {
    errors.replaceChildren();
    for (const f of [...source.files]) {
      if (chosen.length >= max) { errors.append(h('p', { class: 'problem', text: t('img.tooMany', { n: max }) })); break; }
      const box = h('span', { class: 'img-thumb uploading', text: '…' });
      thumbs.append(box);
      try {
        const saved = await upload(ctx, f);
        chosen.push(saved.id);
        box.classList.remove('uploading');
        box.textContent = '';
        box.dataset.file = saved.id;
        box.append(h('img', { alt: f.name || '', src: URL.createObjectURL(f) }),
          h('button', { type: 'button', class: 'img-remove', 'aria-label': t('img.remove'), text: '×', onclick: () => {
            chosen.splice(chosen.indexOf(saved.id), 1); box.remove();
          } }));
      } catch (e) { box.remove(); errors.append(ctx.app.problem(e)); }
    }
    source.value = '';
  };
  input.addEventListener('change', () => take(input));
  let camera = null;
  if (opts.camera) {
    const cam = h('input', { type: 'file', id: `${id}-camera`, accept: 'image/*', capture: 'environment', class: 'file-input' });
    cam.addEventListener('change', () => take(cam));
    camera = h('label', { class: 'field', for: `${id}-camera` }, h('span', { class: 'field-label', text: t('chat.camera') }), cam);
  }
  const el = h('div', { class: 'img-picker' }, camera,
    h('label', { class: 'field', for: id }, h('span', { class: 'field-label', text: t('img.attach', { n: max }) }), input), thumbs, errors);
  return { el, ids: () => [...chosen], clear: () => { chosen.length = 0; thumbs.replaceChildren(); errors.replaceChildren(); } };
}

/** imageStrip shows attached images by file id (nothing when there are none). */
export function imageStrip(ctx, ids) {
  if (!ids || !ids.length) return null;
  const strip = h('div', { class: 'img-strip' });
  for (const id of ids) {
    const img = h('img', { alt: ctx.t('img.alt'), class: 'img-shown', dataset: { file: id } });
    const a = h('a', { class: 'img-thumb', href: '#', onclick: (ev) => { ev.preventDefault(); if (img.src) window.open(img.src, '_blank', 'noopener'); } }, img);
    strip.append(a);
    fetch(`/v1/files/${encodeURIComponent(id)}`, { headers: { Authorization: `Bearer ${ctx.api.token}` } })
      .then((r) => (r.ok ? r.blob() : Promise.reject(new Error(String(r.status)))))
      .then((b) => { img.src = URL.createObjectURL(b); }, () => { a.classList.add('img-missing'); a.textContent = ctx.t('img.missing'); });
  }
  return strip;
}
