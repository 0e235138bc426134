#!/usr/bin/env node
// The Plumbline lab app: a small dependency-free HTTP service that runs twice per lab host
// (blue on 127.0.0.1:8081, green on 127.0.0.1:8082) behind nginx. It exists so Plumbline has
// a real process to fingerprint and real faults to detect. Faults are switched at run time by
// editing /srv/app/shared/faults.json (polled every 500 ms):
//   { "leakMBPerSec": n, "cpuSpin": true, "latencyMs": n, "errorRate": 0.3, "crash": true,
//     "crashLoop": true, "blue": { ...overrides for blue only }, "green": { ... } }
// `crash` exits non-zero once per distinct faults.json content; `crashLoop` exits every time
// the app sees it. The lab host's supervisor restarts the app 1 s after it exits.
'use strict';
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const crypto = require('node:crypto');

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', '8081'));
const colour = arg('colour', 'blue');
const releaseDir = arg('release', path.dirname(fs.realpathSync(__filename)));
const sharedDir = process.env.PLUMBLINE_APP_SHARED || '/srv/app/shared';
const faultsFile = path.join(sharedDir, 'faults.json');
const crashMarker = path.join(sharedDir, `crash-seen-${colour}`);

process.title = `plumbline-app-${colour}`;

function readRelease() {
  let real = releaseDir;
  try {
    real = fs.realpathSync(releaseDir);
  } catch {
    // keep the path as given
  }
  try {
    const info = JSON.parse(fs.readFileSync(path.join(real, 'release.json'), 'utf8'));
    return { id: String(info.id ?? path.basename(real)), version: String(info.version ?? ''), dir: real };
  } catch {
    return { id: path.basename(real), version: '', dir: real };
  }
}
const release = readRelease();

// The env file is read like a real service would; its values are never served.
let envKeys = [];
try {
  envKeys = fs
    .readFileSync(path.join(sharedDir, 'app.env'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(l))
    .map((l) => l.slice(0, l.indexOf('=')));
} catch {
  // no env file: run without it
}

// ---- faults -------------------------------------------------------------------------------
// A release may carry faults of its own (`faults.json` beside its app.js: a bad build, such as
// the demo's leaking release); the shared file's switches go on top of them.
function readReleaseFaults() {
  try {
    const parsed = JSON.parse(fs.readFileSync(path.join(release.dir, 'faults.json'), 'utf8'));
    return parsed && typeof parsed === 'object' ? parsed : {};
  } catch {
    return {};
  }
}
const releaseFaults = readReleaseFaults();
let faults = { ...releaseFaults };
let faultsText = '';
const leaked = [];

function loadFaults() {
  let text = '';
  try {
    text = fs.readFileSync(faultsFile, 'utf8');
  } catch {
    text = '';
  }
  if (text === faultsText) return;
  faultsText = text;
  let parsed = {};
  try {
    parsed = text.trim() ? JSON.parse(text) : {};
  } catch {
    parsed = {};
  }
  const own = parsed && typeof parsed[colour] === 'object' && parsed[colour] ? parsed[colour] : {};
  faults = { ...releaseFaults, ...parsed, ...own };
  delete faults.blue;
  delete faults.green;
  if (!faults.leakMBPerSec) leaked.length = 0;
  if (faults.crashLoop) crash('crashLoop');
  if (faults.crash) {
    const digest = crypto.createHash('sha256').update(text).digest('hex');
    let seen = '';
    try {
      seen = fs.readFileSync(crashMarker, 'utf8').trim();
    } catch {
      seen = '';
    }
    if (seen !== digest) {
      try {
        fs.writeFileSync(crashMarker, `${digest}\n`);
      } catch {
        // cannot remember the crash: crash anyway
      }
      crash('crash');
    }
  }
}

function crash(kind) {
  process.stderr.write(`${new Date().toISOString()} ${process.title}: fault ${kind}: exiting\n`);
  process.exit(70);
}

setInterval(loadFaults, 500).unref();
loadFaults();

// Memory leak: retained, touched buffers so resident memory really grows.
setInterval(() => {
  const rate = Number(faults.leakMBPerSec) || 0;
  if (rate <= 0) return;
  const b = Buffer.alloc(Math.round((rate * 1024 * 1024) / 10), 1);
  leaked.push(b);
}, 100).unref();

// CPU spin: busy slices that still yield, so the app stays (slowly) responsive.
function spin() {
  if (faults.cpuSpin) {
    const until = Date.now() + 40;
    while (Date.now() < until) {
      // burn
    }
  }
  setTimeout(spin, faults.cpuSpin ? 5 : 200).unref();
}
spin();

// ---- metrics ------------------------------------------------------------------------------
const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
const counts = new Map(); // `${route} ${code}` -> n
let errorsTotal = 0;
const hist = { buckets: buckets.map(() => 0), sum: 0, count: 0 };

function observe(route, code, seconds) {
  const key = `${route} ${code}`;
  counts.set(key, (counts.get(key) || 0) + 1);
  if (code >= 500) errorsTotal++;
  hist.sum += seconds;
  hist.count++;
  buckets.forEach((b, i) => {
    if (seconds <= b) hist.buckets[i]++;
  });
}

function metricsText() {
  const mem = process.memoryUsage();
  const lines = [];
  lines.push('# HELP requests_total Requests served, by route and status code.', '# TYPE requests_total counter');
  for (const [key, n] of counts) {
    const [route, code] = key.split(' ');
    lines.push(`requests_total{route="${route}",code="${code}"} ${n}`);
  }
  lines.push('# HELP errors_total Responses with a 5xx status.', '# TYPE errors_total counter', `errors_total ${errorsTotal}`);
  lines.push('# HELP process_heap_bytes V8 heap in use.', '# TYPE process_heap_bytes gauge', `process_heap_bytes ${mem.heapUsed}`);
  lines.push('# HELP process_resident_memory_bytes Resident memory.', '# TYPE process_resident_memory_bytes gauge', `process_resident_memory_bytes ${mem.rss}`);
  lines.push('# HELP request_duration_seconds Request latency.', '# TYPE request_duration_seconds histogram');
  buckets.forEach((b, i) => lines.push(`request_duration_seconds_bucket{le="${b}"} ${hist.buckets[i]}`));
  lines.push(`request_duration_seconds_bucket{le="+Inf"} ${hist.count}`);
  lines.push(`request_duration_seconds_sum ${hist.sum}`, `request_duration_seconds_count ${hist.count}`);
  lines.push('# HELP app_info Release and colour of this instance.', '# TYPE app_info gauge');
  lines.push(`app_info{release="${release.id}",colour="${colour}"} 1`);
  return `${lines.join('\n')}\n`;
}

// ---- http ---------------------------------------------------------------------------------
function send(res, route, started, code, body, type) {
  const payload = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(code, { 'content-type': type || 'application/json', 'x-app-colour': colour, 'x-app-release': release.id });
  res.end(payload);
  observe(route, code, Number(process.hrtime.bigint() - started) / 1e9);
}

const server = http.createServer((req, res) => {
  const started = process.hrtime.bigint();
  const url = (req.url || '/').split('?')[0];
  if (url === '/metrics') {
    send(res, '/metrics', started, 200, metricsText(), 'text/plain; version=0.0.4');
    return;
  }
  const route = url === '/healthz' ? '/healthz' : '/';
  const delay = Math.max(0, Number(faults.latencyMs) || 0);
  setTimeout(() => {
    const failing = (Number(faults.errorRate) || 0) > Math.random();
    if (route === '/healthz') {
      if (failing) send(res, route, started, 503, { status: 'faulted', release: release.id, colour });
      else send(res, route, started, 200, { status: 'ok', release: release.id, colour });
      return;
    }
    if (failing) {
      send(res, route, started, 500, { error: 'injected fault', release: release.id, colour });
      return;
    }
    // Some real work: hash a little data so CPU per request is measurable.
    let h = crypto.createHash('sha256');
    for (let i = 0; i < 200; i++) h = h.update(String(i));
    send(res, route, started, 200, { release: release.id, version: release.version, colour, digest: h.digest('hex').slice(0, 16), env: envKeys });
  }, delay);
});
server.keepAliveTimeout = 5000;

server.listen(port, '127.0.0.1', () => {
  // The pid file doubles as the lab's readiness signal: it appears once the port listens.
  try {
    fs.writeFileSync(`/run/plumbline-app-${colour}.pid`, `${process.pid}\n`);
  } catch {
    // not in a lab host: fine
  }
  process.stdout.write(`${new Date().toISOString()} ${process.title} release ${release.id} listening on 127.0.0.1:${port}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
