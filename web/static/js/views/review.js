// review.js: the review of a completed order (I2) as each person sees it on the order page —
// the customer's form (stars that are real radio buttons, tag chips that are real checkboxes,
// text, photos), the review with the worker's reply under it, the worker's reply form (editable
// for 24 h), and the operator's hide-with-reason forms. Also the pieces the "my reviews" list
// shares: starsText, ratingBadge, reviewBody, replyForm.

import { h, field } from '../dom.js';
import { ApiError } from '../api.js';
import { busy, sectionTitle } from './kit.js';

let tagCache = null;

/** reviewTags returns the fixed tag list (cached for the page's life). */
export async function reviewTags(ctx) {
  if (!tagCache) tagCache = ctx.api.get('/v1/review-tags').then((r) => r.items || []).catch(() => { tagCache = null; return []; });
  return tagCache;
}

/** starsText is n filled stars out of 5, for display only. */
export function starsText(n) {
  const k = Math.max(0, Math.min(5, Math.round(Number(n) || 0)));
  return '★'.repeat(k) + '☆'.repeat(5 - k);
}

/** ratingBadge shows a worker's "★ 4.8 (12)", or "no reviews yet"; null when the card has no rating. */
export function ratingBadge(ctx, rating) {
  if (!rating || typeof rating !== 'object') return null;
  const count = Number(rating.count || 0);
  const text = count ? ctx.t('review.rating', { avg: Number(rating.average || 0).toFixed(1), n: count }) : ctx.t('review.noRating');
  return h('span', { class: 'rating-badge', dataset: { count: String(count), average: String(rating.average || 0) }, text });
}

/** reviewSection is the order page's review card, or null when there is nothing to show. */
export async function reviewSection(ctx, o, base) {
  const { me } = ctx;
  if (o.status !== 'completed') return null;
  const mine = me.role === 'customer' && !o.viewer; // a watcher does not review (Y5)
  const worker = me.role === 'worker' && o.worker_id === me.id;
  const operator = me.role === 'operator';
  if (!mine && !worker && !operator) return null;
  let review = null;
  try {
    review = await ctx.api.get(`${base}/review`);
  } catch (e) {
    if (!(e instanceof ApiError && e.status === 404)) return h('section', { class: 'card' }, ctx.app.problem(e));
  }
  if (!review) {
    if (mine) return reviewForm(ctx, o, base);
    return h('section', { class: 'card review-card', id: 'review' }, sectionTitle(ctx.t('review.title')),
      h('p', { class: 'muted', id: 'review-none', text: ctx.t('review.none') }));
  }
  const sec = h('section', { class: 'card review-card', id: 'review', dataset: { review: review.id } }, sectionTitle(ctx.t('review.title')));
  sec.append(...reviewBody(ctx, review));
  if (review.can_reply) sec.append(replyForm(ctx, review, base, () => ctx.redraw()));
  if (operator && review.can_hide) sec.append(hideForms(ctx, review, base));
  return sec;
}

/** reviewBody renders a review and its reply (what the caller may see). */
export function reviewBody(ctx, r) {
  const { t, i18n, me } = ctx;
  const tags = (r.tags || []);
  const out = [
    h('div', { class: 'review-stars', role: 'img', 'aria-label': t('review.starsLabel', { n: r.rating }), dataset: { rating: String(r.rating) }, text: starsText(r.rating) }),
    r.text ? h('p', { class: 'review-text', text: r.text }) : null,
    tags.length ? h('ul', { class: 'review-tags' }, tags.map((id) => h('li', { class: 'tag', dataset: { tag: id } }, tagLabel(ctx, id)))) : null,
    (r.images || []).length ? h('div', { class: 'review-images' }, r.images.map((id) => reviewImage(ctx, id))) : null,
    h('p', { class: 'muted small', text: i18n.time(r.created_at) }),
  ];
  if (r.hidden) {
    out.push(h('p', { class: 'warn small review-hidden', id: 'review-hidden', text: t(me.role === 'operator' ? 'review.hiddenOp' : 'review.hiddenYou', { reason: r.hidden.reason }) }));
  }
  if (r.reply) {
    const rp = r.reply;
    out.push(h('div', { class: 'review-reply', id: 'review-reply' },
      h('strong', { class: 'small', text: t('review.replyFrom') }),
      h('p', { class: 'reply-text', text: rp.text }),
      h('p', { class: 'muted small', text: `${i18n.time(rp.created_at)}${rp.edited_at ? ` · ${t('review.edited')}` : ''}` }),
      rp.hidden ? h('p', { class: 'warn small reply-hidden', id: 'reply-hidden', text: t(me.role === 'operator' ? 'review.replyHiddenOp' : 'review.replyHiddenYou', { reason: rp.hidden.reason }) }) : null));
  }
  return out.filter(Boolean); // callers spread it into Element.append, which would print null
}

function tagLabel(ctx, id) {
  const span = h('span', { text: id });
  reviewTags(ctx).then((tags) => { const tg = tags.find((x) => x.id === id); if (tg) span.textContent = ctx.i18n.text(tg.label); });
  return span;
}

function reviewImage(ctx, id) {
  const img = h('img', { class: 'review-image', alt: ctx.t('review.photo'), loading: 'lazy', width: 96, height: 96 });
  // Images are served to the review's readers only; fetch with the token and show as a blob.
  fetch(`/v1/files/${encodeURIComponent(id)}/thumbnail`, { headers: { Authorization: `Bearer ${ctx.api.token}` } })
    .then((res) => (res.ok ? res.blob() : Promise.reject(new Error(String(res.status)))))
    .then((b) => { img.src = URL.createObjectURL(b); })
    .catch(() => { img.alt = ctx.t('review.photoMissing'); img.classList.add('missing'); });
  return img;
}

/**
 * reviewForm is the customer's form: five radio buttons (one per star, each with its own label,
 * so arrow keys, screen readers and taps all work), tag checkboxes styled as chips, text and
 * optional photos. A draft survives live redraws of the page.
 */
function reviewForm(ctx, o, base) {
  const { t } = ctx;
  const draft = (ctx.reviewDraft ||= { rating: 0, tags: new Set(), text: '', images: [] });
  const sec = h('section', { class: 'card review-card review-prompt', id: 'review-prompt' },
    h('h2', { class: 'section-title', id: 'review-heading', text: t('order.review') }));
  const err = h('div');
  const caption = h('span', { class: 'star-caption', id: 'star-caption', 'aria-live': 'polite' });
  const group = h('fieldset', { class: 'stars-input', id: 'review-stars' }, h('legend', { class: 'field-label', text: t('review.stars') }));
  const labels = [];
  const paint = () => {
    labels.forEach((l, i) => l.classList.toggle('on', i < draft.rating));
    caption.textContent = draft.rating ? t(`review.word${draft.rating}`) : t('review.pickStars');
  };
  for (let n = 1; n <= 5; n += 1) {
    const input = h('input', { type: 'radio', name: 'review-rating', id: `review-star-${n}`, class: 'star-radio', value: String(n), checked: draft.rating === n, required: true });
    input.addEventListener('change', () => { draft.rating = n; paint(); });
    const label = h('label', { for: `review-star-${n}`, class: 'star-label', title: t('review.starsLabel', { n }) },
      h('span', { 'aria-hidden': 'true', text: '★' }), h('span', { class: 'sr-only', text: t('review.starsLabel', { n }) }));
    labels.push(label);
    group.append(input, label);
  }
  group.append(caption);
  paint();

  const chips = h('fieldset', { class: 'tag-chips', id: 'review-tags' }, h('legend', { class: 'field-label', text: t('review.tags') }));
  reviewTags(ctx).then((tags) => {
    for (const tg of tags) {
      const box = h('input', { type: 'checkbox', id: `review-tag-${tg.id}`, value: tg.id, checked: draft.tags.has(tg.id) });
      box.addEventListener('change', () => { if (box.checked) draft.tags.add(tg.id); else draft.tags.delete(tg.id); });
      chips.append(h('label', { class: 'chip-check', for: `review-tag-${tg.id}` }, box, h('span', { text: ctx.i18n.text(tg.label) })));
    }
  });

  const text = h('textarea', { id: 'review-text', rows: 4, maxlength: 500, placeholder: t('review.textPh'), value: draft.text });
  const count = h('span', { class: 'field-hint', id: 'review-count', text: `${draft.text.length}/500` });
  text.addEventListener('input', () => { draft.text = text.value; count.textContent = `${[...text.value].length}/500`; });

  const photos = h('div', { class: 'review-photos', id: 'review-photos' });
  const paintPhotos = () => photos.replaceChildren(...draft.images.map((f, i) => h('span', { class: 'photo-chip' },
    h('span', { text: f.name || t('review.photo') }),
    h('button', { type: 'button', class: 'link', 'aria-label': t('review.removePhoto'), text: '×', onclick: () => { draft.images.splice(i, 1); paintPhotos(); } }))));
  const file = h('input', { type: 'file', id: 'review-images', accept: 'image/jpeg,image/png,image/webp', multiple: true });
  file.addEventListener('change', async () => {
    for (const f of [...file.files]) {
      if (draft.images.length >= 6) { ctx.app.toast(t('review.tooManyPhotos'), 'error'); break; }
      try {
        const up = await uploadImage(ctx, f);
        draft.images.push({ id: up.id, name: f.name });
      } catch (e) { err.replaceChildren(ctx.app.problem(e)); }
    }
    file.value = '';
    paintPhotos();
  });
  paintPhotos();

  const go = h('button', { class: 'primary', type: 'submit', id: 'review-submit', text: t('review.submit') });
  const form = h('form', { class: 'form', id: 'review-form', novalidate: true, onsubmit: (ev) => {
    ev.preventDefault();
    if (!draft.rating) { err.replaceChildren(h('div', { class: 'problem', role: 'alert', text: t('review.needStars') })); group.querySelector('input')?.focus(); return; }
    busy(ctx, go, async () => {
      await ctx.api.post(`${base}/review`, { rating: draft.rating, text: draft.text.trim(), tags: [...draft.tags], images: draft.images.map((x) => x.id) });
      ctx.reviewDraft = null;
      ctx.app.ok(t('review.sent'));
      ctx.redraw();
    }, err);
  } }, group, chips, field(t('review.text'), text), count,
  field(t('review.photos'), file, t('review.photosHint')), photos, err, go);
  sec.append(form);
  return sec;
}

/** uploadImage sends one picture to POST /v1/files and returns the stored file. */
async function uploadImage(ctx, f) {
  const body = new FormData();
  body.append('file', f, f.name);
  const res = await fetch('/v1/files', { method: 'POST', headers: { Authorization: `Bearer ${ctx.api.token}` }, body });
  const data = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

/** replyForm lets the order's worker reply, or edit the reply until editable_until. */
export function replyForm(ctx, r, base, done) {
  const { t, i18n } = ctx;
  const editing = Boolean(r.reply);
  const id = `reply-text-${r.id}`;
  const text = h('textarea', { id, class: 'reply-input', rows: 3, maxlength: 500, required: true, placeholder: t('review.replyPh'), value: editing ? r.reply.text : '' });
  const err = h('div');
  const go = h('button', { type: 'submit', class: 'primary reply-submit', dataset: { review: r.id }, text: t(editing ? 'review.editReply' : 'review.reply') });
  return h('form', { class: 'form reply-form', dataset: { review: r.id }, onsubmit: (ev) => {
    ev.preventDefault();
    busy(ctx, go, async () => {
      await ctx.api.put(`${base}/review/reply`, { text: text.value.trim() });
      ctx.app.ok(t(editing ? 'review.replyEdited' : 'review.replied'));
      done();
    }, err);
  } }, field(t(editing ? 'review.editReply' : 'review.reply'), text,
    editing ? t('review.editUntil', { at: i18n.time(r.reply.editable_until) }) : t('review.replyOnce')), err, go);
}

/** hideForms lets an operator hide the review or the reply, with a reason told to its author. */
function hideForms(ctx, r, base) {
  const { t } = ctx;
  const box = h('div', { class: 'hide-forms' });
  const one = (key, path, idp) => {
    const reason = h('input', { id: `${idp}-reason`, required: true, maxlength: 500, placeholder: t('review.hideReasonPh') });
    const err = h('div');
    const go = h('button', { class: 'danger', type: 'submit', id: `${idp}-submit`, text: t(key) });
    return h('form', { class: 'form panel', id: idp, onsubmit: (ev) => {
      ev.preventDefault();
      busy(ctx, go, async () => {
        await ctx.api.post(`${base}/${path}`, { reason: reason.value.trim() });
        ctx.app.ok(t('review.hiddenDone'));
        ctx.redraw();
      }, err);
    } }, field(t('review.hideReason'), reason), err, go);
  };
  if (!r.hidden) box.append(one('review.hide', 'review/hide', 'hide-review'));
  if (r.reply && !r.reply.hidden) box.append(one('review.hideReply', 'review/reply/hide', 'hide-reply'));
  return box;
}
