// @ts-check
// The dashboard page: draws what the extension posts (typed as ToWebview/FromWebview in
// server/src/protocol/protocol.ts). Builds DOM nodes, never HTML strings, so nothing from a host can inject markup.
(function () {
  // eslint-disable-next-line no-undef
  const vscode = acquireVsCodeApi();
  const hostsEl = /** @type {HTMLElement} */ (document.getElementById('hosts'));
  const summaryEl = /** @type {HTMLElement} */ (document.getElementById('summary'));

  /** @param {string} tag @param {Record<string,string>} [attrs] @param {(Node|string)[]} [children] */
  function el(tag, attrs = {}, children = []) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
    for (const c of children) n.append(c);
    return n;
  }

  const words = { clean: 'clean', drift: 'drift', noBaseline: 'no baseline', unreachable: 'unreachable', error: 'error', unknown: 'not checked' };

  function render(msg) {
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
      section.append(el('div', { class: 'env-head' }, [el('h2', {}, [env.name]), run('diff', 'Diff'), run('captureBaseline', 'Capture baseline'), run('checkHosts', 'Check hosts')]));
      for (const h of env.hosts) {
        const box = el('div', { class: 'host', 'data-host': h.host });
        const state = h.state === 'drift' ? `drift (${h.highest || 'low'})` : words[h.state] || h.state;
        box.append(el('h3', {}, [h.host, ' — ', el('span', { class: `state state-${h.state}` }, [state])]));
        const b = h.baseline;
        box.append(el('div', { class: 'muted' }, [b ? `baseline v${b.version}, ${b.promotedAt} by ${b.promotedBy}: ${b.reason}` : 'no baseline', ' · ', h.risk ? `risk ${h.risk.tier}` : 'risk not scored yet']));
        if (h.reason) box.append(el('div', {}, [h.reason]));
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

  window.addEventListener('message', (event) => {
    if (event.data && event.data.type === 'state') render(event.data);
  });
  vscode.postMessage({ type: 'ready' });
})();
