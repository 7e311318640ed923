// support.js: the agent's support desk. Support chat comes in a later slice; the shell is ready.

import { h } from '../dom.js';

export async function render(ctx) {
  ctx.root.append(h('h1', { text: ctx.t('support.title') }), h('section', { class: 'card' }, h('p', { text: ctx.t('support.later') })));
}
