// Atlas viewer. Every stored value is hostile: it reaches the page only as text nodes or
// attribute values set through the DOM, never as markup (no innerHTML anywhere).
'use strict';

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#3b6fd8', '#2f9e6a', '#d0902a', '#a34bc4', '#c4463b', '#2a9bb0', '#7a8a2a', '#8a5a3a'];
const state = { tenant: null, pinned: null };

function el(tag, props, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

// Stored text is isolated: a right-to-left override (U+202E) or embedding in it must not reorder the
// trusted text that follows it on the line (statuses, counts, labels).
function iso(text) {
  return el('bdi', {}, text);
}

function link(route, text, params) {
  return el('a', { href: href(route, params) }, text);
}

function href(route, params) {
  const p = new URLSearchParams(params || {});
  if (state.tenant && !state.pinned) p.set('t', state.tenant);
  const qs = p.toString();
  return '#' + route + (qs ? '?' + qs : '');
}

async function api(path, params) {
  const p = new URLSearchParams(params || {});
  if (state.tenant) p.set('tenant', state.tenant);
  const response = await fetch('/api/' + path + '?' + p.toString(), { credentials: 'same-origin' });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error || ('HTTP ' + response.status));
  return body;
}

function fmtInt(n) { return n === null || n === undefined ? '–' : Number(n).toLocaleString('en-US'); }
function fmtMs(n) { return n === null || n === undefined ? '–' : fmtInt(n) + ' ms'; }
// Prices carry no currency (a tenant's are in one of its choosing): a cost is shown as the plain decimal, never with a sign.
function fmtCost(c) { return c === null || c === undefined ? '–' : String(c); }
function fmtTime(t) { return t ? t.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '–'; }
function tokens(u) {
  if (!u || (u.inputTokens === null && u.outputTokens === null)) return 'no usage';
  return fmtInt(u.inputTokens || 0) + ' in / ' + fmtInt(u.outputTokens || 0) + ' out';
}
// Signed: servers whose clocks disagree stamp a step before its execution's start ("-50 ms").
function fmtOffset(n) { return n === null || n === undefined ? '–' : (n < 0 ? '-' + fmtMs(-n) : '+' + fmtMs(n)); }
function notShownCount(obj, key) { return fmtInt(obj[key + 'Length'] - obj[key].length) + ' more characters not shown'; }
function truncatedNote(obj, key) {
  return obj[key + 'Truncated'] ? el('div', { class: 'muted', text: '… ' + notShownCount(obj, key) }) : null;
}

function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  return { path, params: new URLSearchParams(query || '') };
}

function show(view, ...nodes) {
  const app = document.getElementById('app');
  app.replaceChildren(...nodes.flat(Infinity).filter((n) => n !== null && n !== undefined && n !== false));
  document.body.dataset.view = view;
  document.body.dataset.state = 'ready';
}

// ---- views ----------------------------------------------------------------------------

async function conversationList(params) {
  const q = params.get('q') || '';
  const after = params.get('after') || '';
  const data = await api('conversations', q ? { q } : (after ? { after } : {}));
  const input = el('input', { type: 'search', placeholder: 'Search messages (every word)', 'aria-label': 'Search' });
  input.value = q;
  const form = el('form', { class: 'toolbar', onsubmit: (e) => { e.preventDefault(); location.hash = href('/', input.value ? { q: input.value } : {}); } },
    input, el('button', { type: 'submit' }, 'Search'));
  const rows = data.items.map((c) => el('tr', {},
    el('td', { class: 'title' }, link('/c/' + encodeURIComponent(c.id), c.title || '(untitled)')),
    el('td', {}, c.agent || '–'),
    el('td', {}, c.owner),
    el('td', {}, c.status),
    el('td', { class: 'num' }, fmtInt(c.messages)),
    el('td', {}, fmtTime(c.lastMessageAt || c.createdAt))));
  const table = data.items.length
    ? el('table', { id: 'conversations' }, el('thead', {}, el('tr', {}, el('th', {}, 'Title'), el('th', {}, 'Agent'), el('th', {}, 'Owner'),
        el('th', {}, 'Status'), el('th', { class: 'num' }, 'Messages'), el('th', {}, 'Last activity'))), el('tbody', {}, rows))
    : el('p', { class: 'muted' }, q ? ['No conversation has a message with every word of “', iso(q), '”.'] : 'No conversations.');
  const pager = el('div', { class: 'more' },
    after ? link('/', 'Newest', {}) : null, ' ',
    data.next ? el('a', { href: href('/', { after: data.next }), id: 'next-page' }, 'Older conversations →') : null);
  show('list', el('h1', {}, q ? ['Conversations matching “', iso(q), '”'] : 'Conversations'),
    el('div', { class: 'meta' }, 'Tenant ', iso(data.tenant)), form, table,
    data.notice ? el('p', { class: 'muted', id: 'search-notice' }, data.notice) : null, pager);
}

// Long texts start folded so one huge message does not bury the rest of the transcript.
const FOLD = 4000;
function collapsible(text) {
  const pre = el('pre', { class: 'content' });
  if (!text || text.length <= FOLD) {
    pre.textContent = text || '';
    return pre;
  }
  pre.textContent = text.slice(0, FOLD);
  const button = el('button', { type: 'button', class: 'unfold' }, 'Show ' + fmtInt(text.length) + ' characters');
  button.addEventListener('click', () => { pre.textContent = text; button.remove(); });
  return el('div', {}, pre, button);
}

function messageNode(m) {
  const badges = [];
  if (m.branches > 1) {
    badges.push(el('span', { class: 'badge' }, 'retry branch ' + m.branch + ' of ' + m.branches));
    badges.push(m.active ? el('span', { class: 'badge active' }, 'active')
      : el('span', { class: 'badge replaced' }, m.activeSequence ? 'replaced by #' + m.activeSequence : 'hidden'));
  } else if (!m.active) {
    badges.push(el('span', { class: 'badge replaced' }, 'inactive'));
  }
  if (m.status !== 'delivered') {
    badges.push(el('span', { class: 'badge failed' }, m.status, m.failureReason ? [': ', iso(m.failureReason)] : null,
      m.failureReasonTruncated ? el('span', { class: 'not-shown' }, ' … ' + notShownCount(m, 'failureReason')) : null));
  }
  const head = el('div', { class: 'head' },
    el('span', { class: 'role' }, m.role), el('span', {}, '#' + m.sequence), el('span', {}, fmtTime(m.createdAt)),
    m.author ? el('span', {}, 'by ', iso(m.author)) : null, ...badges,
    m.executionId ? link('/e/' + encodeURIComponent(m.executionId), 'execution') : null);
  const calls = m.toolCalls.map((c) => el('div', { class: 'toolcall' },
    el('div', {}, el('strong', {}, 'tool ', iso(c.name)), ' ', el('span', { class: 'muted' }, c.status + ' · ' + fmtMs(c.durationMs))),
    el('div', { class: 'io' }, 'arguments: ' + (c.arguments || '')), truncatedNote(c, 'arguments'),
    c.result !== null ? el('div', { class: 'io' }, 'result: ' + c.result) : null, truncatedNote(c, 'result'),
    c.error ? el('div', { class: 'error' }, c.error) : null, truncatedNote(c, 'error'),
    ...c.threads.map((t) => el('div', {}, 'tool thread: ', link('/c/' + encodeURIComponent(t.id), iso(t.title || t.id)), ' (' + t.messages + ' messages)'))));
  const attachments = m.attachments.map((a) => {
    const url = '/api/assets/' + encodeURIComponent(a.assetId) + (state.tenant ? '?tenant=' + encodeURIComponent(state.tenant) : '');
    return el('div', { class: 'attachment' },
      el('span', {}, 'attached: '), el('a', { href: url }, iso(a.filename)), ' (', iso(a.mimeType), ', ' + fmtInt(a.sizeBytes) + (a.sizeBytes === 1 ? ' byte)' : ' bytes)'),
      a.caption ? el('span', { class: 'muted' }, ' — ', iso(a.caption)) : null,
      a.image ? el('img', { src: url, alt: a.description || a.filename }) : null);
  });
  const n = m.attachmentsNotShown;
  const notShown = n > 0 ? el('div', { class: 'attachment muted not-shown' }, 'and ' + fmtInt(n) + ' more attachment' + (n === 1 ? '' : 's')
    + ', not shown (the viewer lists a message\'s first ' + m.attachments.length + ')') : null;
  return el('div', { class: 'msg role-' + m.role + (m.active ? '' : ' inactive'), 'data-sequence': m.sequence },
    head, ...calls, collapsible(m.content), truncatedNote(m, 'content'), ...attachments, notShown);
}

async function transcript(id, params) {
  const after = params.get('after') || '';
  const data = await api('conversations/' + encodeURIComponent(id), after ? { after } : {});
  const c = data.conversation;
  const parts = [el('h1', {}, c.title || '(untitled)'),
    el('div', { class: 'meta' }, c.type + ' conversation of ', iso(c.owner), ' · agent ', iso(c.agent || '–'), ' · ' + c.status + ' · '
      + fmtInt(c.messages) + ' messages · created ' + fmtTime(c.createdAt) + ' · ',
      link('/executions', 'executions', { conversation: c.id }))];
  if (c.parentConversationId) parts.push(el('div', { class: 'meta' }, 'Tool thread of ', link('/c/' + encodeURIComponent(c.parentConversationId), 'its parent conversation')));
  if (after) parts.push(el('div', { class: 'more' }, link('/c/' + encodeURIComponent(id), '← first messages')));
  parts.push(el('div', { id: 'transcript' }, data.messages.map(messageNode)));
  for (const t of data.otherThreads) parts.push(el('div', {}, 'tool thread: ', link('/c/' + encodeURIComponent(t.id), iso(t.title || t.id))));
  if (data.next !== null) parts.push(el('div', { class: 'more' }, link('/c/' + encodeURIComponent(id), 'Later messages →', { after: data.next })));
  show('transcript', ...parts);
}

async function executionList(params) {
  const conversation = params.get('conversation');
  const data = await api('executions', Object.assign(conversation ? { conversation } : {}, params.get('after') ? { after: params.get('after') } : {}));
  const rows = data.items.map((e) => el('tr', {},
    el('td', {}, link('/e/' + encodeURIComponent(e.id), fmtTime(e.createdAt))), el('td', {}, e.type), el('td', {}, e.provider + '/' + e.model),
    el('td', {}, e.status), el('td', { class: 'num' }, fmtMs(e.durationMs)), el('td', { class: 'num' }, tokens(e.usage)),
    el('td', { class: 'num' }, fmtCost(e.cost))));
  show('executions', el('h1', {}, 'Executions'),
    conversation ? el('div', { class: 'meta' }, 'Of ', link('/c/' + encodeURIComponent(conversation), 'conversation ' + conversation)) : null,
    el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Created'), el('th', {}, 'Type'), el('th', {}, 'Model'), el('th', {}, 'Status'),
      el('th', { class: 'num' }, 'Duration'), el('th', { class: 'num' }, 'Tokens'), el('th', { class: 'num' }, 'Cost'))), el('tbody', {}, rows)),
    data.next ? el('div', { class: 'more' }, link('/executions', 'Older →', Object.assign({ after: data.next }, conversation ? { conversation } : {}))) : null);
}

async function waterfall(id) {
  const data = await api('executions/' + encodeURIComponent(id));
  const e = data.execution;
  let span = e.durationMs || 0;
  for (const s of data.steps) {
    span = Math.max(span, (s.offsetMs || 0) + (s.durationMs || 0));
    for (const c of s.toolCalls) span = Math.max(span, (c.offsetMs || 0) + (c.durationMs || 0));
  }
  span = Math.max(span, 1);
  const row = (kind, label, offset, duration, info, title) => {
    const bar = el('div', { class: 'wf-bar' });
    // A bar stamped before the execution's start (clock skew) starts at the track's edge; its text says how early.
    bar.style.left = (Math.max(offset || 0, 0) / span * 100).toFixed(3) + '%';
    bar.style.width = Math.max((duration || 0) / span * 100, 0.3).toFixed(3) + '%';
    return el('div', { class: 'wf-row ' + kind, title },
      el('div', { class: 'wf-label' }, label), el('div', { class: 'wf-track' }, bar), el('div', { class: 'wf-info' }, info));
  };
  const rows = [row('execution', [e.type + ' ', iso(e.provider + '/' + e.model)], 0, e.durationMs,
    fmtMs(e.durationMs) + ' · ' + tokens(e.usage) + ' · cost ' + fmtCost(e.cost), e.status)];
  for (const s of data.steps) {
    rows.push(row('step', 'step ' + s.sequence + ' · ' + (s.finishReason || s.status), s.offsetMs, s.durationMs,
      fmtOffset(s.offsetMs) + ' · ' + fmtMs(s.durationMs) + ' · ' + tokens(s.usage), s.content || ''));
    for (const c of s.toolCalls) {
      rows.push(row('tool', ['tool ', iso(c.name), ' (' + c.status + ')'], c.offsetMs, c.durationMs,
        fmtOffset(c.offsetMs) + ' · ' + fmtMs(c.durationMs), c.arguments || ''));
    }
  }
  const details = data.steps.map((s) => el('div', { class: 'msg' },
    el('div', { class: 'head' }, el('span', { class: 'role' }, 'step ' + s.sequence), el('span', {}, s.status), el('span', {}, s.finishReason || ''),
      el('span', {}, tokens(s.usage))),
    s.content ? el('pre', { class: 'content' }, s.content) : null, truncatedNote(s, 'content'),
    s.error ? el('div', { class: 'error' }, s.error) : null, truncatedNote(s, 'error'),
    ...s.toolCalls.map((c) => el('div', { class: 'toolcall' }, el('strong', {}, 'tool ', iso(c.name)), ' ' + c.status,
      el('div', { class: 'io' }, 'arguments: ' + (c.arguments || '')), truncatedNote(c, 'arguments'),
      c.result !== null ? el('div', { class: 'io' }, 'result: ' + c.result) : null, truncatedNote(c, 'result'),
      c.error ? el('div', { class: 'error' }, c.error) : null, truncatedNote(c, 'error')))));
  show('waterfall', el('h1', {}, 'Execution ' + e.provider + '/' + e.model),
    el('div', { class: 'meta' }, e.type + ' · ' + e.status + ' · agent ', iso(e.agent || '–'), ' · started ' + fmtTime(e.startedAt) + ' · '
      + fmtMs(e.durationMs) + ' · ' + tokens(e.usage) + ' · cost ' + fmtCost(e.cost) + ' ',
      e.conversationId ? link('/c/' + encodeURIComponent(e.conversationId), 'conversation') : null),
    e.error ? el('div', { class: 'error' }, e.error) : null, truncatedNote(e, 'error'),
    el('div', { class: 'waterfall', id: 'waterfall' }, rows),
    el('h2', {}, 'Steps'), details);
}

// The browser's time zone: the usage page's days are the reader's, not the host's UTC ones.
function browserZone() {
  try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) { return 'UTC'; }
}

async function usage(params) {
  const days = params.get('days') || '30';
  const zone = params.get('zone') || browserZone();
  const data = await api('usage', { days, zone });
  const width = 900, height = 300, left = 70, bottom = 40, top = 16;
  const plotW = width - left - 10, plotH = height - top - bottom;
  const perDay = new Map(data.days.map((d) => [d, []]));
  for (const c of data.cells) perDay.get(c.day).push(c);
  let max = 0;
  for (const cells of perDay.values()) max = Math.max(max, cells.reduce((sum, c) => sum + Number(c.cost), 0));
  const chart = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, role: 'img', 'aria-label': 'Cost by day and model', id: 'usage-chart' });
  chart.append(svg('line', { x1: left, y1: top + plotH, x2: width - 10, y2: top + plotH, stroke: '#8a93a6' }));
  chart.append(svg('text', { x: left - 6, y: top + 4, 'text-anchor': 'end', 'font-size': 11, fill: '#5a6275' }, max.toFixed(max < 1 ? 4 : 2)));
  chart.append(svg('text', { x: left - 6, y: top + plotH, 'text-anchor': 'end', 'font-size': 11, fill: '#5a6275' }, '0'));
  const slot = plotW / data.days.length;
  const color = (model) => COLORS[data.models.indexOf(model) % COLORS.length];
  data.days.forEach((day, i) => {
    let y = top + plotH;
    for (const c of perDay.get(day)) {
      const h = max > 0 ? Number(c.cost) / max * plotH : 0;
      y -= h;
      chart.append(svg('rect', { x: left + i * slot + slot * 0.15, y, width: Math.max(slot * 0.7, 1), height: Math.max(h, 0), fill: color(c.model) },
        svg('title', {}, day + ' ' + c.model + ': cost ' + c.cost + ', ' + c.executions + ' calls')));
    }
    if (i % Math.ceil(data.days.length / 10) === 0 || i === data.days.length - 1) {
      chart.append(svg('text', { x: left + i * slot + slot / 2, y: top + plotH + 16, 'text-anchor': 'middle', 'font-size': 10, fill: '#5a6275' }, day.slice(5)));
    }
  });
  const legend = el('div', { class: 'legend' }, data.models.map((m) => {
    const swatch = el('span', { class: 'swatch' });
    swatch.style.background = color(m);
    return el('span', {}, swatch, iso(m));
  }));
  const rows = data.byModel.map((r) => el('tr', {}, el('td', {}, r.group), el('td', { class: 'num' }, fmtInt(r.executions)),
    el('td', { class: 'num' }, fmtInt(r.failures)), el('td', { class: 'num' }, fmtInt(r.inputTokens)), el('td', { class: 'num' }, fmtInt(r.outputTokens)),
    el('td', { class: 'num' }, fmtInt(r.reasoningTokens)), el('td', { class: 'num' }, fmtInt(r.cachedTokens)),
    el('td', { class: 'num' }, fmtInt(r.cacheWriteTokens)), el('td', { class: 'num' }, fmtCost(r.cost))));
  const select = el('select', { 'aria-label': 'Period', onchange: (e) => { location.hash = href('/usage', { days: e.target.value, zone }); } },
    ['7', '30', '90', '365'].map((d) => el('option', { value: d, selected: d === days ? 'selected' : null }, 'last ' + d + ' days')));
  const zones = [...new Set([data.zone, browserZone(), 'UTC'])];
  const zoneSelect = el('select', { 'aria-label': 'Time zone', id: 'usage-zone', onchange: (e) => { location.hash = href('/usage', { days, zone: e.target.value }); } },
    zones.map((z) => el('option', { value: z, selected: z === data.zone ? 'selected' : null }, 'days in ' + z)));
  show('usage', el('h1', {}, 'Cost by day and model'), el('div', { class: 'toolbar' }, select, zoneSelect),
    el('div', { class: 'chart' }, chart, legend),
    el('h2', {}, 'By model'),
    data.byModel.length ? el('table', { id: 'usage-table' }, el('thead', {}, el('tr', {}, el('th', {}, 'Model'), el('th', { class: 'num' }, 'Calls'),
      el('th', { class: 'num' }, 'Failed'), el('th', { class: 'num' }, 'Input'), el('th', { class: 'num' }, 'Output'),
      el('th', { class: 'num' }, 'Reasoning'), el('th', { class: 'num' }, 'Cached'), el('th', { class: 'num' }, 'Cache write'),
      el('th', { class: 'num' }, 'Cost'))),
    el('tbody', {}, rows)) : el('p', { class: 'muted' }, 'No executions in the period.'));
}

// ---- routing ----------------------------------------------------------------------------

async function render() {
  document.body.dataset.state = 'loading';
  const { path, params } = parseRoute();
  if (!state.pinned && params.get('t')) state.tenant = params.get('t');
  const select = document.getElementById('tenant');
  if (select.value !== state.tenant) select.value = state.tenant;
  try {
    let m;
    if ((m = path.match(/^\/c\/([^/]+)$/))) await transcript(decodeURIComponent(m[1]), params);
    else if ((m = path.match(/^\/e\/([^/]+)$/))) await waterfall(decodeURIComponent(m[1]));
    else if (path === '/executions') await executionList(params);
    else if (path === '/usage') await usage(params);
    else await conversationList(params);
  } catch (err) {
    show('error', el('p', { class: 'error' }, err.message));
    document.body.dataset.state = 'error';
  }
}

async function start() {
  const meta = await api('meta');
  state.pinned = meta.pinnedTenant;
  const select = document.getElementById('tenant');
  const tenants = meta.tenants.length ? meta.tenants : ['default'];
  select.replaceChildren(...tenants.map((t) => el('option', { value: t }, t)));
  // Stored ids Atlas refuses (kept from before it did) are shown, quoted, but cannot be opened.
  (meta.refusedTenants || []).forEach((r) => select.append(el('option', { disabled: '' }, "'" + r.id + "' (refused: " + r.reason + ')')));
  select.disabled = !!state.pinned;
  state.tenant = state.pinned || (tenants.includes('default') ? 'default' : tenants[0]);
  select.addEventListener('change', () => { state.tenant = select.value; location.hash = href('/', {}); });
  document.getElementById('nav-conversations').addEventListener('click', (e) => { e.preventDefault(); location.hash = href('/', {}); });
  document.getElementById('nav-usage').addEventListener('click', (e) => { e.preventDefault(); location.hash = href('/usage', {}); });
  window.addEventListener('hashchange', render);
  await render();
}

start().catch((err) => {
  document.getElementById('app').replaceChildren(el('p', { class: 'error' }, 'Could not load: ' + err.message));
  document.body.dataset.state = 'error';
});
