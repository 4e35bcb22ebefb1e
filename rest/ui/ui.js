// Ferry's status page (GET /ui; docs/operations.md, "The status page"). Everything comes from the
// worker that serves it: Connect's API (/, /connectors), GET /metrics, the history the worker keeps
// (/ferry/ui/history) and the cutover routes (/ferry/groups/...). Nothing is loaded from elsewhere.
'use strict';

const REFRESH_MS = 2000;        // connectors, states and the plots
const METRICS_MS = 5000;        // /metrics (coverage, groups, cutover states)
const GROUPS_MS = 10000;        // each group's status and plan: these ask Kafka
const MAX_GROUPS = 20;
const MAX_LINES = 8;            // topics drawn per plot, the busiest; the rest are in "all topics"
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

const state = {
  settings: null,        // /ferry/ui/history without its points
  times: [],             // the history's points, oldest first
  series: new Map(),     // key -> {flow, target, topic, records_per_second: [], lag_records: [], lag_seconds: []}
  dropped: 0,
  mirrors: [],           // [{prefix, name}] MirrorSourceConnectors, for the cutover routes
  metrics: [],           // the last /metrics samples: {name, labels, value}
  groups: new Map(),     // group -> {source: 'url'|'watched'|'metrics'}
};

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function badge(text) { return el('span', {class: 'state state-' + text}, text); }

function table(headers, rows) {
  return el('table', {}, el('tr', {}, headers.map((h) => el('th', {}, h))),
    rows.map((r) => el('tr', {}, r.map((c) => (c instanceof Node && c.tagName === 'TD') ? c : el('td', {}, c)))));
}

function num(value) {
  const cell = el('td', {class: 'num'});
  cell.textContent = value === null || value === undefined ? '–' : format(value);
  return cell;
}

function format(v) {
  if (typeof v !== 'number') return String(v);
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + 'M';
  if (Math.abs(v) >= 1e4) return (v / 1e3).toFixed(1) + 'k';
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) < 1 ? String(Number(v.toFixed(2))) : v.toFixed(1);
}

function replace(id, ...nodes) {
  const target = document.getElementById(id);
  target.classList.remove('muted');
  target.replaceChildren(...nodes);
}

function noData(id, text) {
  const target = document.getElementById(id);
  target.classList.add('muted');
  target.replaceChildren(text);
}

// fetch with a deadline; resolves to {status, body} (body: parsed JSON or text), never rejects.
async function get(path, asText) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 15000);
  try {
    const res = await fetch(path, {signal: abort.signal, headers: {Accept: 'application/json'}});
    const text = await res.text();
    let body = text;
    if (!asText && text) {
      try { body = JSON.parse(text); } catch (e) { body = text; }
    }
    return {status: res.status, body};
  } catch (e) {
    return {status: 0, body: String(e && e.message || e)};
  } finally {
    clearTimeout(timer);
  }
}

const problems = new Map();
function problem(what, text) {
  if (text) problems.set(what, text); else problems.delete(what);
  const box = document.getElementById('problem');
  box.hidden = problems.size === 0;
  box.textContent = [...problems.values()].join(' · ');
}

function errorText(reply) {
  if (reply.status === 0) return 'no answer (' + reply.body + ')';
  const message = reply.body && reply.body.message ? reply.body.message : String(reply.body).slice(0, 200);
  return reply.status + ' ' + message;
}

// ---- connectors, tasks, workers -------------------------------------------------------------------

async function refreshConnectors() {
  const flows = state.settings ? state.settings.flows : [{prefix: '', flow: ''}];
  const sections = [];
  const workers = new Map();  // worker id -> {connectors, tasks: {state: n}}
  const mirrors = [];
  const countOn = (worker) => {
    if (!workers.has(worker)) workers.set(worker, {connectors: 0, tasks: {}});
    return workers.get(worker);
  };
  for (const flow of flows) {
    const reply = await get(flow.prefix + '/connectors?expand=status&expand=info');
    if (reply.status !== 200) {
      problem('connectors' + flow.prefix, 'connectors' + (flow.flow ? ' of ' + flow.flow : '') + ': ' + errorText(reply));
      continue;
    }
    problem('connectors' + flow.prefix, null);
    const rows = [];
    for (const name of Object.keys(reply.body).sort()) {
      const entry = reply.body[name];
      const status = entry.status || {};
      const connector = status.connector || {};
      const config = (entry.info && entry.info.config) || {};
      if (String(config['connector.class'] || '').endsWith('MirrorSourceConnector')) mirrors.push({prefix: flow.prefix, name});
      if (connector.worker_id) countOn(connector.worker_id).connectors++;
      rows.push([el('strong', {}, name), status.type || '', badge(connector.state || 'UNASSIGNED'), connector.worker_id || '',
        taskList(status.tasks || [], countOn)]);
    }
    const title = flow.flow ? el('h3', {}, 'flow ' + flow.flow) : null;
    sections.push(title, rows.length ? table(['connector', 'type', 'state', 'worker', 'tasks'], rows)
      : el('p', {class: 'muted'}, 'no connectors'));
  }
  state.mirrors = mirrors;
  if (sections.length) replace('connectors', ...sections.filter((n) => n !== null));
  renderWorkers(workers);
}

function taskList(tasks, countOn) {
  if (!tasks.length) return el('span', {class: 'muted'}, 'no tasks');
  return el('div', {}, tasks.map((t) => {
    const counts = countOn(t.worker_id || '(unassigned)').tasks;
    counts[t.state] = (counts[t.state] || 0) + 1;
    const trace = t.trace ? el('pre', {class: 'trace'}, t.trace.split('\n').slice(0, 3).join('\n')) : null;
    return el('div', {class: 'task'}, 'task ' + t.id + ' ', badge(t.state), ' ', el('span', {class: 'muted'}, t.worker_id || ''), trace);
  }));
}

function renderWorkers(workers) {
  if (!workers.size) {
    noData('workers', 'no worker runs a connector or task yet');
    return;
  }
  const rows = [...workers.keys()].sort().map((id) => {
    const w = workers.get(id);
    const states = Object.keys(w.tasks).sort().map((s) => [badge(s), ' ' + w.tasks[s] + ' ']);
    return [id, num(w.connectors), el('span', {}, states.length ? states.flat() : '–')];
  });
  replace('workers', table(['worker', 'connectors', 'tasks by state'], rows),
    el('p', {class: 'muted'}, 'Workers as the status topic names them for the connectors and tasks above.'));
}

// ---- history and plots ------------------------------------------------------------------------------

function seriesKey(s) { return s.flow + '\u001f' + s.target + '\u001f' + s.topic; }

async function refreshHistory() {
  const since = state.times.length ? state.times[state.times.length - 1] : 0;
  const reply = await get('/ferry/ui/history?since=' + since);
  if (reply.status !== 200) {
    problem('history', 'history: ' + errorText(reply));
    return;
  }
  problem('history', null);
  const {history, ...settings} = reply.body;
  state.settings = settings;
  const added = history.times.length;
  const before = state.times.length;
  state.times.push(...history.times);
  const seen = new Set();
  for (const s of history.series) {
    const key = seriesKey(s);
    seen.add(key);
    let mine = state.series.get(key);
    if (!mine) {
      mine = {flow: s.flow, target: s.target, topic: s.topic, records_per_second: [], lag_records: [], lag_seconds: []};
      state.series.set(key, mine);
    }
    for (const f of ['records_per_second', 'lag_records', 'lag_seconds']) {
      while (mine[f].length < before) mine[f].push(null);  // a topic new to the page
      mine[f].push(...s[f]);
    }
  }
  for (const [key, mine] of state.series) {
    if (seen.has(key)) continue;
    for (const f of ['records_per_second', 'lag_records', 'lag_seconds']) {
      while (mine[f].length < before + added) mine[f].push(null);
    }
  }
  // Keep the window only.
  const oldest = settings.now_ms - settings.window_ms;
  let cut = 0;
  while (cut < state.times.length && state.times[cut] < oldest) cut++;
  if (cut) {
    state.times.splice(0, cut);
    for (const mine of state.series.values()) {
      for (const f of ['records_per_second', 'lag_records', 'lag_seconds']) mine[f].splice(0, cut);
    }
  }
  for (const [key, mine] of state.series) {
    if (mine.lag_records.every((v) => v === null) && mine.records_per_second.every((v) => v === null)) state.series.delete(key);
  }
  state.dropped = history.dropped_series;
  renderPlots();
}

function label(s) { return (s.flow ? s.flow + ' ' : '') + s.topic; }

function renderPlots() {
  const settings = state.settings;
  document.getElementById('window').textContent = '(up to the last ' + Math.round(settings.window_ms / 60000) +
    ' minutes, a point every ' + settings.interval_ms / 1000 + ' s)';
  const all = [...state.series.values()];
  const latest = (s, f) => { for (let i = s[f].length - 1; i >= 0; i--) if (s[f][i] !== null) return s[f][i]; return 0; };
  all.sort((a, b) => latest(b, 'records_per_second') - latest(a, 'records_per_second') || label(a).localeCompare(label(b)));
  const drawn = all.slice(0, MAX_LINES);
  const lines = drawn.map((s, i) => ({name: label(s), color: COLORS[i % COLORS.length], data: s}));
  if (all.length > 1) {
    const total = {};
    for (const f of ['records_per_second', 'lag_records', 'lag_seconds']) {
      total[f] = state.times.map((_, i) => {
        let sum = null;
        for (const s of all) if (s[f][i] !== null) sum = f === 'lag_seconds' ? Math.max(sum || 0, s[f][i]) : (sum || 0) + s[f][i];
        return sum;
      });
    }
    lines.push({name: 'all topics', color: '#222', data: total, dashed: true});
  }
  plot('plot-rate', lines, 'records_per_second');
  plot('plot-lag', lines, 'lag_records');
  plot('plot-behind', lines, 'lag_seconds');
  document.getElementById('legend').replaceChildren(...lines.map((l) => {
    const swatch = el('i');
    swatch.style.background = l.color;  // a style attribute would be inline style, which the page's CSP refuses
    return el('span', {}, swatch, l.name);
  }));
  const notes = [];
  if (!all.length) notes.push('No mirrored topic on this worker yet: the plots fill while a MirrorSourceConnector\'s tasks copy here.');
  if (all.length > MAX_LINES) notes.push((all.length - MAX_LINES) + ' quieter topics are drawn only in "all topics".');
  if (state.dropped) notes.push(state.dropped + ' topics are past the worker\'s history bound and not kept.');
  document.getElementById('history-note').textContent = notes.join(' ');
}

const SVG = 'http://www.w3.org/2000/svg';  // the SVG namespace's name, nothing is loaded from it
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// A line per entry of `lines` (its data[field], aligned with state.times) over the window, with a
// y axis from 0. The last point's time and the sum of the last values are kept as data attributes.
function plot(id, lines, field) {
  const box = document.getElementById(id);
  const width = box.clientWidth || 400;
  const height = box.clientHeight || 180;
  const left = 48, right = 8, top = 8, bottom = 20;
  box.setAttribute('viewBox', '0 0 ' + width + ' ' + height);
  // The window, or less while the history is younger (at least a minute): a fresh worker's few
  // points are not squeezed against the right edge.
  const end = state.settings.now_ms;
  const first = state.times.length ? state.times[0] : end;
  const span = Math.min(state.settings.window_ms, Math.max(60000, end - first));
  const start = end - span;
  let max = 0;
  for (const l of lines) for (const v of l.data[field]) if (v !== null && v > max) max = v;
  max = niceMax(max);
  const x = (t) => left + (t - start) / (end - start) * (width - left - right);
  const y = (v) => top + (1 - v / max) * (height - top - bottom);
  const nodes = [];
  for (let i = 0; i <= 4; i++) {
    const v = max * i / 4;
    nodes.push(svg('line', {x1: left, x2: width - right, y1: y(v), y2: y(v), class: 'grid'}));
    const t = svg('text', {x: left - 4, y: y(v) + 3, 'text-anchor': 'end'});
    t.textContent = format(v);
    nodes.push(t);
  }
  const step = [15000, 30000, 60000, 120000, 300000].find((s) => span / s <= 6) || 300000;
  for (let ago = 0; ago <= span; ago += step) {
    const t = svg('text', {x: x(end - ago), y: height - 6, 'text-anchor': ago === 0 ? 'end' : 'middle'});
    t.textContent = ago === 0 ? 'now' : step < 60000 ? '-' + ago / 1000 + ' s' : '-' + ago / 60000 + ' min';
    nodes.push(t);
  }
  let lastTime = null;
  let lastSum = null;
  for (const l of lines) {
    let d = '';
    let pen = false;
    l.data[field].forEach((v, i) => {
      if (v === null || state.times[i] < start) { pen = false; return; }
      d += (pen ? 'L' : 'M') + x(state.times[i]).toFixed(1) + ',' + y(v).toFixed(1);
      pen = true;
    });
    if (d) nodes.push(svg('path', {d, stroke: l.color, 'stroke-dasharray': l.dashed ? '4 3' : 'none'}));
  }
  for (let i = state.times.length - 1; i >= 0 && lastTime === null; i--) {
    for (const s of state.series.values()) {
      if (s[field][i] !== null) { lastTime = state.times[i]; lastSum = (lastSum || 0) + s[field][i]; }
    }
  }
  box.replaceChildren(...nodes);
  box.dataset.lastTime = lastTime === null ? '' : String(lastTime);
  box.dataset.lastValue = lastSum === null ? '' : String(lastSum);
  box.dataset.points = String(state.times.length);
}

function niceMax(v) {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

// ---- /metrics ---------------------------------------------------------------------------------------

// The samples of a Prometheus text exposition: [{name, labels: {…}, value}].
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:\\.|[^"\\])*)",?/g;
    let l;
    while ((l = re.exec(m[3] || '')) !== null) {
      labels[l[1]] = l[2].replace(/\\(.)/g, (_, c) => (c === 'n' ? '\n' : c));
    }
    out.push({name: m[1], labels, value: Number(m[4] === '+Inf' ? Infinity : m[4] === '-Inf' ? -Infinity : m[4])});
  }
  return out;
}

async function refreshMetrics() {
  const reply = await get('/metrics', true);
  if (reply.status !== 200) {
    problem('metrics', 'metrics: ' + errorText(reply));
    return;
  }
  problem('metrics', null);
  state.metrics = parseMetrics(reply.body);
  for (const s of state.metrics) {
    const fromCheckpoints = s.name === 'kafka_connect_mirror_mirrorcheckpointconnector_checkpoint_latency_ms';
    if (!s.labels.group) continue;
    if (fromCheckpoints) groupEntry(s.labels.group).any = true;
    // A journal names its groups' mirror: only that one is asked (the journal is shared by every
    // mirror from the same source cluster).
    if (s.name === 'ferry_cutover_group_state' && s.labels.connector) groupEntry(s.labels.group).connectors.add(s.labels.connector);
  }
  renderCoverage();
}

// Offset-map coverage per topic, from the offset map's metrics (a checkpoint task here reads the map)
// and the offset syncs the source tasks here write: ferry_offset_map_* and ferry_mirror_offset_sync_*,
// per partition, summed up per flow and topic.
const COVERAGE = [
  // [header, how a topic's partitions' values become one cell]
  ['translatable records', (v) => sumOf(v.ferry_offset_map_next_source_offset) - sumOf(v.ferry_offset_map_first_source_offset)],
  ['source offsets mapped', (v) => rangeOf(v.ferry_offset_map_first_source_offset) + ' up to ' + rangeOf(v.ferry_offset_map_next_source_offset)],
  ['complete history', (v) => v.ferry_offset_map_complete_history && (countOf(v.ferry_offset_map_complete_history, 1) + ' of ' + v.ferry_offset_map_complete_history.length)],
  ['contested records', (v) => v.ferry_offset_map_contested_records && sumOf(v.ferry_offset_map_contested_records)],
  ['runs', (v) => v.ferry_offset_map_runs && sumOf(v.ferry_offset_map_runs)],
  ['last offset sync (s ago)', (v) => v.ferry_mirror_offset_sync_age_seconds && Math.max(...v.ferry_mirror_offset_sync_age_seconds)],
  ['copies waiting for a sync', (v) => v.ferry_mirror_offset_sync_pending_records && sumOf(v.ferry_mirror_offset_sync_pending_records)],
];
function sumOf(v) { return v ? v.reduce((a, b) => a + b, 0) : NaN; }
function countOf(v, x) { return v.filter((y) => y === x).length; }
function rangeOf(v) {
  if (!v) return '?';
  const lo = Math.min(...v), hi = Math.max(...v);
  return lo === hi ? format(lo) : format(lo) + '–' + format(hi);
}

function renderCoverage() {
  const samples = state.metrics.filter((s) => /^ferry_(offset_map|mirror_offset_sync)_/.test(s.name) && s.labels.topic !== undefined);
  if (!samples.some((s) => s.name.startsWith('ferry_offset_map_'))) {
    noData('coverage', 'No data: no offset map on this worker. The map is read by a MirrorCheckpointConnector\'s task; ' +
      'its coverage shows here where one runs (ferry_offset_map_* in /metrics).');
    return;
  }
  const topics = new Map();
  for (const s of samples) {
    const key = (s.labels.flow ? s.labels.flow + ' ' : '') + s.labels.topic;
    if (!topics.has(key)) topics.set(key, {partitions: new Set(), values: {}});
    const t = topics.get(key);
    t.partitions.add(s.labels.partition);
    (t.values[s.name] = t.values[s.name] || []).push(s.value);
  }
  const rows = [...topics.keys()].sort().map((key) => {
    const t = topics.get(key);
    return [key, num(t.partitions.size), ...COVERAGE.map(([, cell]) => {
      const v = cell(t.values);
      return typeof v === 'number' ? num(Number.isNaN(v) ? null : v) : el('td', {class: 'num'}, v || '–');
    })];
  });
  replace('coverage', table(['topic', 'partitions', ...COVERAGE.map(([h]) => h)], rows),
    el('p', {class: 'muted'}, 'A group committed inside the mapped offsets moves exactly; contested records never translate. ' +
      'From ferry_offset_map_* and ferry_mirror_offset_sync_* in /metrics.'));
}

// ---- groups: cutover state, plan, blockers ----------------------------------------------------------

function groupsFromUrl() {
  for (const g of new URLSearchParams(location.search).getAll('group')) {
    if (g) groupEntry(g).any = true;
  }
}

function watch(group) {
  groupEntry(group).any = true;
  const params = new URLSearchParams(location.search);
  if (!params.getAll('group').includes(group)) params.append('group', group);
  history.replaceState(null, '', location.pathname + '?' + params.toString());
  refreshGroups();
}

// A group shown, and the mirrors to ask about it: every mirror here (`any`: named by the address, the
// form, or a checkpoint task here), or the ones its cutover journal names.
function groupEntry(group) {
  if (!state.groups.has(group)) state.groups.set(group, {any: false, connectors: new Set()});
  return state.groups.get(group);
}

async function refreshGroups() {
  if (!state.settings) return;
  if (!state.settings.cutover) {
    noData('groups', 'This server does not serve the cutover routes (/ferry/groups/…): `ferry mirror-maker` runs none; ' +
      'use a `ferry distributed` or `standalone` worker, or `ferry cutover`.');
    return;
  }
  const mirrors = state.mirrors.filter((m) => m.prefix === '');
  const asks = [];  // [group, mirror name]
  let elsewhere = 0;
  for (const group of [...state.groups.keys()].sort()) {
    const entry = state.groups.get(group);
    const along = mirrors.filter((m) => entry.any || entry.connectors.has(m.name));
    if (!along.length) elsewhere++;
    for (const m of along) asks.push([group, m.name]);
  }
  const groups = [...new Set(asks.map(([g]) => g))].slice(0, MAX_GROUPS);
  if (!state.groups.size) {
    noData('groups', 'No group to show: groups appear when a checkpoint task here writes their checkpoints or a ' +
      'cutover metric names them; watch one by name above (or add ?group=NAME to the address).');
    return;
  }
  if (!mirrors.length) {
    noData('groups', 'No MirrorSourceConnector on this worker: a group moves along a mirror.');
    return;
  }
  const blocks = [];
  for (const [group, mirror] of asks) {
    if (groups.includes(group)) blocks.push(await groupBlock(group, mirror, mirrors.length > 1));
  }
  if (elsewhere) {
    blocks.push(el('p', {class: 'muted'}, elsewhere + ' more group(s) in the cutover journals moved along mirrors ' +
      'that do not run here.'));
  }
  replace('groups', ...blocks);
}

async function groupBlock(group, connector, named) {
  const q = named ? 'connector=' + encodeURIComponent(connector) : '';
  const base = '/ferry/groups/' + encodeURIComponent(group);
  const title = el('h3', {}, 'group ' + group, named ? el('span', {class: 'muted'}, ' along ' + connector) : null);
  const status = await get(base + '/status?' + q);
  if (status.status !== 200) return el('div', {class: 'group'}, title, el('p', {class: 'muted'}, 'status: ' + errorText(status)));
  const st = status.body;
  const direction = st.position === 'target' ? 'rollback' : 'cutover';
  const plan = await get(base + '/plan?direction=' + direction + (q ? '&' + q : ''));
  const last = st.last ? el('span', {class: 'muted'}, ' last move: ' + describeEntry(st.last)) : null;
  const head = el('p', {}, 'on the ', badge(st.position), st.position === 'target' ? ' (cut over)' : st.position === 'source' ? '' : ' (a move was interrupted)',
    ' · source group ', groupState(st.source_group), ' · target group ', groupState(st.target_group), last);
  const journal = state.metrics.filter((s) => s.name === 'ferry_cutover_group_state' && s.labels.group === group &&
    s.labels.connector === st.connector && s.value === 1);
  const fromMetrics = journal.length ? el('p', {class: 'journal'}, 'journal (ferry_cutover_group_state): ',
    journal.map((s) => [badge(s.labels.state), ' ' + s.labels.direction + ' ']).flat()) : null;
  return el('div', {class: 'group', 'data-group': group, 'data-position': st.position}, title, head, fromMetrics, planBlock(plan, direction));
}

function groupState(g) { return g ? g.state + (g.members === null ? '' : ', ' + g.members + ' members') : 'unknown'; }

function describeEntry(e) {
  return [e.direction, e.state].filter(Boolean).join(' ') + (e.time_ms ? ' at ' + new Date(e.time_ms).toLocaleString() : '');
}

function planBlock(plan, direction) {
  if (plan.status !== 200) return el('p', {class: 'muted'}, direction + ' plan: ' + errorText(plan));
  const p = plan.body;
  const verdict = p.ready ? 'ready' : (p.blockers.length ? 'blocked' : 'waiting');
  const rows = p.partitions.map((x) => [x.from_topic + '-' + x.from_partition, num(x.committed),
    x.to_topic + '-' + x.to_partition, num(x.translated), x.translation, num(x.replicated_to), num(x.source_end)]);
  return el('div', {class: 'plan'},
    el('p', {}, 'plan for a ' + direction + ' (' + p.from_cluster + ' → ' + p.to_cluster + '): ', badge(verdict)),
    p.blockers.length ? el('ul', {class: 'blockers'}, p.blockers.map((b) => el('li', {}, b))) : null,
    rows.length ? table(['from', 'committed', 'to', 'translated', 'translation', 'copied up to', 'source end'], rows) : null);
}

// ---- the loops ---------------------------------------------------------------------------------------

function every(ms, work) {
  const run = async () => {
    try {
      await work();
    } finally {
      setTimeout(run, ms);
    }
  };
  run();
}

async function start() {
  groupsFromUrl();
  document.getElementById('add-group').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = document.getElementById('group-name');
    if (input.value.trim()) watch(input.value.trim());
    input.value = '';
  });
  // The first round in order: the groups need the flows, the mirrors and the metrics' groups.
  await refreshHistory();
  const flows = state.settings ? state.settings.flows : [];
  if (flows.length === 1 && flows[0].prefix === '') {
    const root = await get('/');  // a worker's; `ferry mirror-maker` serves none
    if (root.status === 200) {
      document.getElementById('version').textContent = 'version ' + root.body.version +
        (root.body.kafka_cluster_id ? ' · cluster ' + root.body.kafka_cluster_id : '');
    }
  } else if (flows.length) {
    document.getElementById('version').textContent = 'mirror-maker · ' + flows.map((f) => f.flow).join(', ');
  }
  await refreshConnectors();
  await refreshMetrics();
  every(GROUPS_MS, refreshGroups);
  every(METRICS_MS, refreshMetrics);
  every(REFRESH_MS, async () => {
    await refreshHistory();
    await refreshConnectors();
    document.getElementById('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
  });
}

document.addEventListener('DOMContentLoaded', start);
