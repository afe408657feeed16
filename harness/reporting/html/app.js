// tokenproof HTML report: builds the check table from the embedded JSON and wires the filters.
// Plain browser JavaScript, inlined into index.html (allowed by its CSP hash). Every value from
// the run goes into the page as text (textContent, attribute setters), never as markup.
(() => {
  const data = JSON.parse(document.getElementById('tokenproof-data').textContent);
  const severity = ['error', 'fail', 'warn', 'skip', 'pass'];
  const titles = Object.fromEntries(data.outcomes.map((outcome) => [outcome.id, outcome.title]));
  const labels = { pass: 'pass', fail: 'fail', warn: 'warn', skip: 'skip', error: 'error' };

  const $ = (selector) => document.querySelector(selector);
  const tbody = $('#checks tbody');
  const search = $('#search');
  const suiteFilter = $('#suite-filter');
  const levelFilter = $('#level-filter');
  const sortSelect = $('#sort');
  const count = $('#count');
  const empty = $('#empty');
  const expandAll = $('#expand-all');

  const state = {
    outcomes: new Set(severity),
    suite: '',
    level: '',
    query: '',
    sort: 'severity',
  };

  // Control characters a target sent back are shown as escapes (\x07), not as invisible bytes or boxes.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const controlCharacters = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
  const printable = (text) =>
    String(text).replace(controlCharacters, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = value;
      else if (name === 'text') node.textContent = printable(value);
      else node.setAttribute(name, value === true ? '' : printable(value));
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(printable(child)));
    }
    return node;
  }

  function formatDuration(ms) {
    if (!Number.isFinite(ms) || ms < 0) return '–';
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 10000) return `${(ms / 1000).toFixed(2)} s`;
    if (ms < 60000) return `${(ms / 1000).toFixed(1)} s`;
    const seconds = Math.round(ms / 1000);
    return `${Math.floor(seconds / 60)} m ${String(seconds % 60).padStart(2, '0')} s`;
  }

  function clauseList(spec) {
    const list = el('span', { class: 'clauses' });
    for (const { clause, url } of spec) {
      list.append(
        url
          ? el('a', {
              class: 'clause',
              href: url,
              target: '_blank',
              rel: 'noopener noreferrer',
              title: `Open ${clause}`,
              text: clause,
            })
          : el('span', { class: 'clause', title: 'no link known for this clause', text: clause }),
      );
    }
    return list;
  }

  function prettyBody(body, headers) {
    const contentType = Object.entries(headers || {}).find(([name]) => name.toLowerCase() === 'content-type');
    if (contentType && /x-www-form-urlencoded/i.test(contentType[1])) return body.split('&').join('\n');
    const trimmed = body.trim();
    if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
      try {
        return JSON.stringify(JSON.parse(trimmed), null, 2);
      } catch {
        // not JSON after all: show as sent
      }
    }
    return body;
  }

  // A redacted JWS keeps its header and payload readable: show them decoded next to the raw text.
  const redactedJws = /eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]*\.\[signature redacted\]/g;

  function decodeSegment(segment) {
    const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  }

  function decodedTokens(texts) {
    const seen = new Set();
    const views = [];
    for (const text of texts) {
      for (const match of String(text || '').match(redactedJws) || []) {
        if (seen.has(match)) continue;
        seen.add(match);
        const [header, payload] = match.split('.');
        try {
          const decoded = { header: decodeSegment(header), claims: decodeSegment(payload) };
          views.push(
            el(
              'details',
              { class: 'jwt' },
              el('summary', {
                text: `JWT ${decoded.header.typ || ''} ${decoded.header.alg || ''} kid ${decoded.header.kid || '–'}: header and claims`,
              }),
              el('pre', { class: 'body', text: JSON.stringify(decoded, null, 2) }),
            ),
          );
        } catch {
          // not decodable: the raw text above is all there is
        }
      }
    }
    return views;
  }

  function headerList(headers) {
    const entries = Object.entries(headers || {});
    if (entries.length === 0) return el('p', { class: 'muted', text: 'no headers recorded' });
    const list = el('dl', { class: 'headers' });
    for (const [name, value] of entries) list.append(el('dt', { text: name }), el('dd', { text: value }));
    return list;
  }

  function exchangeView(exchange, index) {
    const response = exchange.response;
    const statusClass = response ? `s${String(response.status).charAt(0)}` : 's0';
    const summary = el(
      'summary',
      {},
      el('span', { class: 'method', text: exchange.request.method }),
      el('span', { class: 'url', text: exchange.request.url }),
      el('span', { class: `status ${statusClass}`, text: response ? String(response.status) : 'no response' }),
      response ? el('span', { class: 'muted', text: formatDuration(response.durationMs) }) : null,
      exchange.error ? el('span', { class: 'muted', text: exchange.error }) : null,
      exchange.note ? el('span', { class: 'exchange-note', text: exchange.note }) : null,
    );
    const request = el(
      'div',
      {},
      el('h5', { text: 'Request' }),
      headerList(exchange.request.headers),
      exchange.request.body
        ? el('pre', { class: 'body', text: prettyBody(exchange.request.body, exchange.request.headers) })
        : null,
      ...decodedTokens([...Object.values(exchange.request.headers || {}), exchange.request.body]),
    );
    const answer = el('div', {}, el('h5', { text: 'Response' }));
    if (response) {
      answer.append(headerList(response.headers));
      if (response.body) answer.append(el('pre', { class: 'body', text: prettyBody(response.body, response.headers) }));
      answer.append(...decodedTokens([...Object.values(response.headers || {}), response.body]));
    } else {
      answer.append(el('p', { class: 'muted', text: exchange.error || 'no response' }));
    }
    return el(
      'details',
      { class: 'exchange', open: index < 4, 'data-exchange': index },
      summary,
      el('div', { class: 'exchange-body' }, request, answer),
    );
  }

  function detailView(check) {
    const cell = el('td', { colspan: 7, class: `c-${check.outcome}` });
    cell.append(el('p', { class: 'reason-full', text: check.reason }));
    cell.append(
      el(
        'div',
        { class: 'facts' },
        el('span', {}, 'id ', el('b', { class: 'mono', text: check.id })),
        el('span', {}, 'suite ', el('b', { text: check.suite })),
        el('span', {}, 'level ', el('b', { text: check.level })),
        el('span', {}, 'time ', el('b', { text: formatDuration(check.durationMs) })),
        check.spec.length ? el('span', {}, 'spec ', clauseList(check.spec)) : null,
      ),
    );
    const { exchanges, notes } = check.evidence;
    if (notes.length) {
      cell.append(el('h4', { text: 'Notes' }));
      const list = el('ul', { class: 'notes' });
      for (const note of notes) list.append(el('li', { text: note }));
      cell.append(list);
    }
    if (exchanges.length) {
      cell.append(el('h4', { text: `HTTP exchanges (${exchanges.length}, redacted)` }));
      exchanges.forEach((exchange, index) => {
        cell.append(exchangeView(exchange, index));
      });
    }
    if (!notes.length && !exchanges.length)
      cell.append(el('p', { class: 'muted', text: 'No evidence recorded for this check.' }));
    return el('tr', { class: 'detail', 'data-detail-for': check.id }, cell);
  }

  const rows = data.checks.map((check, index) => {
    const toggle = el('button', {
      type: 'button',
      class: 'toggle',
      'aria-expanded': 'false',
      'aria-label': `Show details of ${check.id}`,
      text: '▸',
    });
    const row = el(
      'tr',
      { class: `check c-${check.outcome}`, 'data-id': check.id, 'data-outcome': check.outcome, 'data-suite': check.suite },
      el('td', { class: 'toggle-cell' }, toggle),
      el('td', {}, el('span', { class: 'badge', text: labels[check.outcome] })),
      el(
        'td',
        {},
        el('span', { class: 'check-id', text: check.id }),
        el('span', { class: 'check-title', text: check.title }),
        check.outcome === 'pass' ? null : el('span', { class: 'check-reason', text: check.reason, title: check.reason }),
      ),
      el('td', { class: 'suite-cell', text: check.suite }),
      el('td', {}, el('span', { class: `level ${check.level.toLowerCase()}`, text: check.level })),
      el('td', { class: 'num', text: formatDuration(check.durationMs) }),
      el('td', {}, clauseList(check.spec)),
    );
    const haystack = [check.id, check.title, check.reason, check.suite, ...check.spec.map((s) => s.clause)]
      .join('\n')
      .toLowerCase();
    return { check, index, row, toggle, detail: null, open: false, haystack };
  });

  function setOpen(entry, open) {
    entry.open = open;
    entry.row.classList.toggle('open', open);
    entry.toggle.setAttribute('aria-expanded', String(open));
    entry.toggle.setAttribute('aria-label', `${open ? 'Hide' : 'Show'} details of ${entry.check.id}`);
    if (open && !entry.detail) {
      entry.detail = detailView(entry.check);
      entry.row.after(entry.detail);
    }
    if (entry.detail) entry.detail.hidden = !open || entry.row.hidden;
  }

  for (const entry of rows) {
    entry.row.addEventListener('click', (event) => {
      if (event.target.closest('a')) return;
      setOpen(entry, !entry.open);
    });
  }

  // Outcome chips and suite options
  const chipBox = $('#outcome-filter');
  const chips = severity.map((outcome) => {
    const chip = el('button', {
      type: 'button',
      class: `chip c-${outcome}`,
      'data-outcome': outcome,
      'aria-pressed': 'true',
      text: `${titles[outcome]} ${data.run.summary[outcome]}`,
    });
    chip.addEventListener('click', () => {
      if (state.outcomes.has(outcome)) state.outcomes.delete(outcome);
      else state.outcomes.add(outcome);
      apply();
    });
    chipBox.append(chip);
    return chip;
  });
  for (const suite of data.run.suites) suiteFilter.append(el('option', { value: suite, text: suite }));

  const cards = Array.from(document.querySelectorAll('.card[data-outcome]'));
  for (const card of cards) {
    card.addEventListener('click', () => {
      const outcome = card.dataset.outcome;
      const only = state.outcomes.size === 1 && state.outcomes.has(outcome);
      state.outcomes = only ? new Set(severity) : new Set([outcome]);
      apply();
      if (!only) $('#checks-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
  }

  function ordered() {
    const list = rows.slice();
    if (state.sort === 'severity') {
      list.sort((a, b) => severity.indexOf(a.check.outcome) - severity.indexOf(b.check.outcome) || a.index - b.index);
    } else if (state.sort === 'duration') {
      list.sort((a, b) => b.check.durationMs - a.check.durationMs || a.index - b.index);
    }
    return list;
  }

  function matches(entry) {
    const { check } = entry;
    if (!state.outcomes.has(check.outcome)) return false;
    if (state.suite && check.suite !== state.suite) return false;
    if (state.level && check.level !== state.level) return false;
    if (state.query) {
      const words = state.query.toLowerCase().split(/\s+/).filter(Boolean);
      if (!words.every((word) => entry.haystack.includes(word))) return false;
    }
    return true;
  }

  function saveState() {
    const params = new URLSearchParams();
    if (state.outcomes.size !== severity.length) params.set('outcome', severity.filter((o) => state.outcomes.has(o)).join(','));
    if (state.suite) params.set('suite', state.suite);
    if (state.level) params.set('level', state.level);
    if (state.query) params.set('q', state.query);
    if (state.sort !== 'severity') params.set('sort', state.sort);
    const hash = params.toString();
    try {
      history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
    } catch {
      // some browsers refuse history changes on file:// pages; the filters still work
    }
  }

  function loadState() {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    const outcome = params.get('outcome');
    if (outcome !== null) state.outcomes = new Set(outcome.split(',').filter((o) => severity.includes(o)));
    const suite = params.get('suite');
    if (suite && data.run.suites.includes(suite)) state.suite = suite;
    const level = params.get('level');
    if (level === 'MUST' || level === 'SHOULD') state.level = level;
    state.query = params.get('q') || '';
    const sort = params.get('sort');
    if (sort === 'run' || sort === 'duration') state.sort = sort;
  }

  function apply() {
    let shown = 0;
    for (const entry of ordered()) {
      tbody.append(entry.row);
      if (entry.detail) tbody.append(entry.detail);
      const visible = matches(entry);
      entry.row.hidden = !visible;
      if (entry.detail) entry.detail.hidden = !visible || !entry.open;
      if (visible) shown++;
    }
    for (const chip of chips) chip.setAttribute('aria-pressed', String(state.outcomes.has(chip.dataset.outcome)));
    for (const card of cards)
      card.classList.toggle('active', state.outcomes.size === 1 && state.outcomes.has(card.dataset.outcome));
    search.value = state.query;
    suiteFilter.value = state.suite;
    levelFilter.value = state.level;
    sortSelect.value = state.sort;
    count.textContent = shown === rows.length ? `${rows.length} checks` : `${shown} of ${rows.length} checks shown`;
    empty.hidden = shown > 0 || rows.length === 0;
    const anyClosed = rows.some((entry) => !entry.row.hidden && !entry.open);
    expandAll.textContent = anyClosed ? 'Expand all' : 'Collapse all';
    saveState();
  }

  function reset() {
    state.outcomes = new Set(severity);
    state.suite = '';
    state.level = '';
    state.query = '';
    apply();
  }

  search.addEventListener('input', () => {
    state.query = search.value.trim();
    apply();
  });
  suiteFilter.addEventListener('change', () => {
    state.suite = suiteFilter.value;
    apply();
  });
  levelFilter.addEventListener('change', () => {
    state.level = levelFilter.value;
    apply();
  });
  sortSelect.addEventListener('change', () => {
    state.sort = sortSelect.value;
    apply();
  });
  $('#reset').addEventListener('click', reset);
  expandAll.addEventListener('click', () => {
    const visible = rows.filter((entry) => !entry.row.hidden);
    const open = visible.some((entry) => !entry.open);
    for (const entry of visible) setOpen(entry, open);
    apply();
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === '/' && document.activeElement !== search && !event.ctrlKey && !event.metaKey) {
      event.preventDefault();
      search.focus();
    } else if (event.key === 'Escape' && document.activeElement === search) {
      state.query = '';
      apply();
    }
  });

  for (const link of document.querySelectorAll('.suite-link[data-suite]')) {
    link.addEventListener('click', () => {
      state.suite = state.suite === link.dataset.suite ? '' : link.dataset.suite;
      apply();
      $('#checks-panel').scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
  }

  // Slowest-checks bars open their check.
  for (const bar of document.querySelectorAll('.bar-row[data-check-id]')) {
    bar.addEventListener('click', () => {
      const entry = rows.find((candidate) => candidate.check.id === bar.dataset.checkId);
      if (!entry) return;
      if (!matches(entry)) reset();
      setOpen(entry, true);
      apply();
      entry.row.scrollIntoView({ behavior: 'smooth', block: 'center' });
    });
  }

  // Timeline read-out: the value of the nearest point under the pointer.
  const timeline = data.timeline;
  for (const svg of document.querySelectorAll('svg.timeline')) {
    const index = Number(svg.dataset.series);
    const series = timeline?.series[index];
    // The same points the chart drew (JSON turns NaN into null; charts.ts skips those).
    const seriesPoints = series ? series.points.filter(([t, value]) => Number.isFinite(t) && Number.isFinite(value)) : [];
    if (seriesPoints.length === 0) continue;
    const readout = document.querySelector(`[data-readout="${index}"]`);
    const cursor = svg.querySelector('.cursor');
    const dot = svg.querySelector('.cursor-dot');
    const left = Number(svg.dataset.left);
    const plotWidth = Number(svg.dataset.plotWidth);
    const spanMs = Number(svg.dataset.spanMs);
    const points = svg.querySelector('path.line');
    const pathPoints = points
      ? points
          .getAttribute('d')
          .split(/\s*[ML]\s*/)
          .filter(Boolean)
      : [];
    svg.addEventListener('mousemove', (event) => {
      const box = svg.getBoundingClientRect();
      const x = ((event.clientX - box.left) / box.width) * svg.viewBox.baseVal.width;
      const t = ((x - left) / plotWidth) * spanMs;
      let nearest = 0;
      for (let i = 1; i < seriesPoints.length; i++) {
        if (Math.abs(seriesPoints[i][0] - t) < Math.abs(seriesPoints[nearest][0] - t)) nearest = i;
      }
      const [pointT, value] = seriesPoints[nearest];
      const [px, py] = (pathPoints[nearest] || '0,0').split(',').map(Number);
      cursor.setAttribute('x1', px);
      cursor.setAttribute('x2', px);
      cursor.setAttribute('visibility', 'visible');
      dot.setAttribute('cx', px);
      dot.setAttribute('cy', py);
      dot.setAttribute('visibility', 'visible');
      const faults = (timeline.faults || [])
        .filter((fault) => pointT >= fault.startMs && pointT < fault.endMs)
        .map((fault) => fault.name);
      readout.textContent = `t=${(pointT / 1000).toFixed(1)} s · ${value} ${series.unit}${faults.length ? ` · ${faults.join(', ')}` : ''}`;
    });
    svg.addEventListener('mouseleave', () => {
      cursor.setAttribute('visibility', 'hidden');
      dot.setAttribute('visibility', 'hidden');
      readout.textContent = '';
    });
  }

  loadState();
  apply();
})();
