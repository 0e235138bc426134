// @ts-check
// The dashboard page: draws what the extension posts (typed as ToWebview/FromWebview in
// server/src/protocol/protocol.ts). Builds DOM nodes, never HTML strings, so nothing from a host
// can inject markup. Charts are uPlot (media/uPlot.iife.min.js, copied there at build time).
(function () {
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  // eslint-disable-next-line no-undef
  const UPlot = /** @type {any} */ (window).uPlot;
  const hostsEl = /** @type {HTMLElement} */ (document.getElementById('hosts'));
  const chartsEl = /** @type {HTMLElement} */ (document.getElementById('charts'));
  const summaryEl = /** @type {HTMLElement} */ (document.getElementById('summary'));

  /** Same list as CHART_METRICS in the protocol module. */
  const METRICS = [
    { key: 'app.rssKiB', layer: 'app', label: 'app RSS (KiB)' },
    { key: 'app.cpuPct', layer: 'app', label: 'app CPU (%)' },
    { key: 'app.healthLatencyMs', layer: 'app', label: 'health latency (ms)' },
    { key: 'hardware.cpuPct', layer: 'hardware', label: 'host CPU (%)' },
    { key: 'hardware.memUsedPct', layer: 'hardware', label: 'host memory used (%)' },
  ];
  const LAYERS = ['hardware', 'os', 'app'];

  /** @param {string} tag @param {Record<string,string>} [attrs] @param {(Node|string)[]} [children] */
  function el(tag, attrs = {}, children = []) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    for (const c of children) n.append(c);
    return n;
  }

  /** Theme colours from VS Code's CSS variables, read when drawing so a theme change applies. */
  function color(name, fallback) {
    const v = getComputedStyle(document.body).getPropertyValue(name).trim();
    return v || fallback;
  }
  function withAlpha(c, a) {
    const m = /^#([0-9a-f]{6})/i.exec(c);
    if (!m) return c;
    const n = parseInt(m[1], 16);
    return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
  }

  const words = { clean: 'clean', drift: 'drift', noBaseline: 'no baseline', unreachable: 'unreachable', error: 'error', unknown: 'not checked' };

  function renderState(msg) {
    const view = msg.view;
    hostsEl.replaceChildren();
    summaryEl.textContent = view.message || `${view.environments.length} environment(s)${view.trusted ? '' : ' — untrusted: validation only'}`;
    for (const env of view.environments) {
      const section = el('section', { class: 'env', 'data-env': env.name });
      const run = (command, label) => {
        const b = el('button', { 'data-command': command }, [label]);
        b.addEventListener('click', () => vscode.postMessage({ type: 'run', command, env: env.name }));
        return b;
      };
      section.append(
        el('div', { class: 'env-head' }, [
          el('h2', {}, [env.name]),
          run('diff', 'Diff'),
          run('captureBaseline', 'Capture baseline'),
          run('checkHosts', 'Check hosts'),
          env.watching ? run('stopWatching', 'Stop watching') : run('startWatching', 'Start watching'),
          el('span', { class: 'muted' }, [`actions.mode: ${env.mode}${env.watching ? ' · watching' : ''}`]),
        ]),
      );
      for (const h of env.hosts) {
        const box = el('div', { class: 'host', 'data-host': h.host });
        const state = h.state === 'drift' ? `drift (${h.highest || 'low'})` : words[h.state] || h.state;
        const risk = h.risk ? el('span', { class: `risk risk-${h.risk.state}` }, [` · ${h.risk.state === 'nodata' ? 'no data' : h.risk.state} ${h.risk.value.toFixed(2)}`]) : '';
        box.append(el('h3', {}, [h.host, ' — ', el('span', { class: `state state-${h.state}` }, [state]), risk]));
        const b = h.baseline;
        box.append(el('div', { class: 'muted' }, [b ? `baseline v${b.version}, ${b.promotedAt} by ${b.promotedBy}: ${b.reason}` : 'no baseline', ' · ', h.risk ? `risk ${h.risk.state}` : 'risk not scored yet']));
        if (h.reason) box.append(el('div', {}, [h.reason]));
        if (h.risk && h.risk.reasons.length) box.append(el('ul', { class: 'reasons' }, h.risk.reasons.slice(0, 3).map((r) => el('li', {}, [r.detail]))));
        const findings = h.findings.filter((f) => f.severity !== 'info');
        if (findings.length) {
          const rows = findings.map((f) =>
            el('tr', {}, [
              el('td', {}, [f.layer]),
              el('td', { class: `sev-${f.severity}` }, [f.severity]),
              el('td', {}, [f.change]),
              el('td', { class: 'value' }, [f.path]),
              el('td', { class: 'value' }, [f.file && f.file.secret ? '(secret)' : f.old ?? '∅']),
              el('td', { class: 'value' }, [f.file && f.file.secret ? '(secret)' : f.new ?? '∅']),
            ]),
          );
          box.append(el('table', {}, [el('thead', {}, [el('tr', {}, ['layer', 'severity', 'change', 'path', 'baseline', 'live'].map((t) => el('th', {}, [t])))]), el('tbody', {}, rows)]));
        }
        section.append(box);
      }
      hostsEl.append(section);
    }
  }

  // ─── Charts ───────────────────────────────────────────────────────────────────────────────

  /** Per host: { series: HostSeries, charts: Map<string, uPlot>, box } */
  const hosts = new Map();
  let currentEnv;
  let pending = false;

  function riskData(s) {
    const xs = s.points.map((p) => p.ts / 1000);
    const pick = (k) => s.points.map((p) => (p.risk ? p.risk[k] : null));
    return [xs, pick('host'), pick('hardware'), pick('os'), pick('app')];
  }

  /** [x, value, band hi, band lo, forecast, limit]: the forecast adds one future x at its breach (or the horizon). */
  function metricData(s, key) {
    const xs = s.points.map((p) => p.ts / 1000);
    const vals = s.points.map((p) => (p.metrics[key] === undefined ? null : p.metrics[key]));
    const band = s.bands[key];
    const f = s.forecasts.find((x) => x.metric === key);
    const limit = s.limits[key];
    const n = xs.length;
    const forecast = new Array(n).fill(null);
    if (f && n > 0) {
      forecast[n - 1] = f.fromValue;
      const horizon = f.fromTs + 10 * 60_000;
      const endTs = f.breachTs !== null ? Math.min(f.breachTs, horizon) : horizon;
      const endValue = f.fromValue + (f.slopePerSec * (endTs - f.fromTs)) / 1000;
      xs.push(endTs / 1000);
      vals.push(null);
      forecast.push(f.breachTs !== null && f.breachTs <= horizon ? f.limit : endValue);
    }
    const m = xs.length;
    const hi = new Array(m).fill(band ? band.median + band.mad : null);
    const lo = new Array(m).fill(band ? band.median - band.mad : null);
    const lim = new Array(m).fill(limit === undefined ? null : limit);
    return [xs, vals, hi, lo, f ? forecast.concat(new Array(m - forecast.length).fill(null)) : new Array(m).fill(null), lim];
  }

  function chartWidth(box) {
    return Math.max(280, Math.floor((box.clientWidth || 900) / 2) - 24);
  }

  function axes() {
    const fg = color('--vscode-charts-foreground', color('--vscode-foreground', '#ccc'));
    const grid = color('--vscode-charts-lines', 'rgba(128,128,128,.25)');
    return [
      { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
      { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 60 },
    ];
  }

  function riskChart(container, s, width) {
    const red = color('--vscode-charts-red', '#f14c4c');
    const opts = {
      title: 'risk (host and per layer)',
      width,
      height: 180,
      scales: { x: { time: true }, y: { range: [0, 1] } },
      axes: axes(),
      series: [
        {},
        { label: 'host', stroke: red, width: 2 },
        { label: 'hardware', stroke: color('--vscode-charts-blue', '#3794ff'), width: 1 },
        { label: 'os', stroke: color('--vscode-charts-purple', '#b180d7'), width: 1 },
        { label: 'app', stroke: color('--vscode-charts-orange', '#d18616'), width: 1 },
      ],
    };
    return new UPlot(opts, riskData(s), container);
  }

  function metricChart(container, s, m, width) {
    const blue = color('--vscode-charts-blue', '#3794ff');
    const green = color('--vscode-charts-green', '#89d185');
    const opts = {
      title: m.label,
      width,
      height: 160,
      scales: { x: { time: true } },
      axes: axes(),
      series: [
        {},
        { label: 'value', stroke: blue, width: 2 },
        { label: 'baseline + MAD', stroke: withAlpha(green, 0.6), width: 1, dash: [4, 4] },
        { label: 'baseline − MAD', stroke: withAlpha(green, 0.6), width: 1, dash: [4, 4] },
        { label: 'forecast', stroke: color('--vscode-charts-yellow', '#cca700'), width: 2, dash: [6, 4], spanGaps: true },
        { label: 'limit', stroke: color('--vscode-charts-red', '#f14c4c'), width: 1 },
      ],
      bands: [{ series: [2, 3], fill: withAlpha(green, 0.15) }],
    };
    return new UPlot(opts, metricData(s, m.key), container);
  }

  function drawAll() {
    chartsEl.replaceChildren();
    for (const h of hosts.values()) for (const c of h.charts.values()) c.destroy();
    let count = 0;
    if (hosts.size === 0) {
      chartsEl.append(el('p', { class: 'muted', id: 'charts-note' }, [`Not watched yet${currentEnv ? ` (${currentEnv})` : ''}: start watching to see risk timelines and metrics.`]));
    }
    for (const h of hosts.values()) {
      const box = el('div', { class: 'host-charts', 'data-host': h.series.host }, [el('h2', {}, [`${h.series.host}`])]);
      chartsEl.append(box);
      const grid = el('div', { class: 'chart-grid' });
      box.append(grid);
      h.box = box;
      h.charts = new Map();
      const width = chartWidth(chartsEl);
      const riskBox = el('div', { class: 'chart', 'data-chart': 'risk' });
      grid.append(riskBox);
      h.charts.set('risk', riskChart(riskBox, h.series, width));
      count++;
      for (const m of METRICS) {
        const c = el('div', { class: 'chart', 'data-chart': m.key, 'data-layer': m.layer });
        grid.append(c);
        h.charts.set(m.key, metricChart(c, h.series, m, width));
        count++;
      }
    }
    vscode.postMessage({ type: 'drawn', charts: count });
  }

  function update() {
    pending = false;
    for (const h of hosts.values()) {
      for (const [key, chart] of h.charts) chart.setData(key === 'risk' ? riskData(h.series) : metricData(h.series, key));
    }
  }

  function onSeries(series) {
    currentEnv = series.env;
    hosts.clear();
    for (const s of series.hosts) if (s.points.length > 0 || series.watching) hosts.set(s.host, { series: s, charts: new Map() });
    drawAll();
  }

  function onPoint(msg) {
    if (msg.env !== currentEnv) return;
    let h = hosts.get(msg.host);
    if (!h) {
      h = { series: { host: msg.host, points: [], bands: {}, forecasts: [], limits: {} }, charts: new Map() };
      hosts.set(msg.host, h);
      h.series.points.push(msg.point);
      h.series.bands = msg.bands;
      h.series.forecasts = msg.forecasts;
      drawAll();
      return;
    }
    h.series.points.push(msg.point);
    if (h.series.points.length > 900) h.series.points.shift();
    h.series.bands = msg.bands;
    h.series.forecasts = msg.forecasts;
    // Several hosts report in the same interval: one redraw per frame.
    if (!pending) {
      pending = true;
      requestAnimationFrame(update);
    }
  }

  window.addEventListener('resize', () => {
    const width = chartWidth(chartsEl);
    for (const h of hosts.values()) for (const c of h.charts.values()) c.setSize({ width, height: c.height });
  });

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m) return;
    if (m.type === 'state') renderState(m);
    else if (m.type === 'series') onSeries(m.series);
    else if (m.type === 'point') onPoint(m);
  });
  vscode.postMessage({ type: 'ready' });
})();
