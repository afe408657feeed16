// The HTML report's script: builds the check table from the embedded JSON (html/data.ts) and
// wires the filters and the timeline read-out. html.ts strips the types (node:module
// stripTypeScriptTypes) and inlines the result, allowed by its CSP hash: no bundler, and no module
// loading in the page, which is why the only import is a type import (erased with the types).
// Every value from the run goes into the page as text (textContent, attribute setters), never as markup.
import type { HtmlChart, HtmlCheck, HtmlData, HtmlExchange } from './data.ts';

type Outcome = HtmlCheck['outcome'];
type Sort = 'severity' | 'run' | 'duration';
type ExpectedFilter = '' | 'only' | 'hide';
type Child = Node | string | null | undefined | false;

interface Row {
  check: HtmlCheck;
  index: number;
  row: HTMLTableRowElement;
  toggle: HTMLButtonElement;
  detail: HTMLTableRowElement | null;
  open: boolean;
  haystack: string;
}

(() => {
  const need = <T extends Element>(selector: string): T => {
    const found = document.querySelector<T>(selector);
    if (!found) throw new Error(`the report page has no ${selector}`);
    return found;
  };
  const data = JSON.parse(need<HTMLScriptElement>('#tokenproof-data').textContent ?? '{}') as HtmlData;
  const severity: Outcome[] = ['error', 'fail', 'warn', 'skip', 'pass'];
  const titles = Object.fromEntries(data.outcomes.map((outcome) => [outcome.id, outcome.title])) as Record<Outcome, string>;

  const tbody = need<HTMLTableSectionElement>('#checks tbody');
  const search = need<HTMLInputElement>('#search');
  const suiteFilter = need<HTMLSelectElement>('#suite-filter');
  const levelFilter = need<HTMLSelectElement>('#level-filter');
  const expectedFilter = need<HTMLSelectElement>('#expected-filter');
  const sortSelect = need<HTMLSelectElement>('#sort');
  const count = need<HTMLElement>('#count');
  const empty = need<HTMLElement>('#empty');
  const expandAll = need<HTMLButtonElement>('#expand-all');
  const checksPanel = need<HTMLElement>('#checks-panel');

  const state: { outcomes: Set<Outcome>; suite: string; level: string; expected: ExpectedFilter; query: string; sort: Sort } = {
    outcomes: new Set(severity),
    suite: '',
    level: '',
    expected: '',
    query: '',
    sort: 'severity',
  };

  // Control characters a target sent back are shown as escapes (\x07), not as invisible bytes or boxes.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  const controlCharacters = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;
  const printable = (text: unknown) =>
    String(text).replace(controlCharacters, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

  function el<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    attributes: Record<string, string | number | boolean | null | undefined> = {},
    ...children: Child[]
  ): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'class') node.className = String(value);
      else if (name === 'text') node.textContent = printable(value);
      else node.setAttribute(name, value === true ? '' : printable(value));
    }
    for (const child of children) {
      if (child === undefined || child === null || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(printable(child)));
    }
    return node;
  }

  function clauseList(spec: HtmlCheck['spec']): HTMLSpanElement {
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

  function prettyBody(body: string, headers: Record<string, string> | undefined): string {
    const contentType = Object.entries(headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type');
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

  function decodeSegment(segment: string): Record<string, unknown> {
    const base64 = segment.replace(/-/g, '+').replace(/_/g, '/');
    const bytes = Uint8Array.from(atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4)), (c) => c.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  }

  function decodedTokens(texts: (string | undefined)[]): HTMLDetailsElement[] {
    const seen = new Set<string>();
    const views: HTMLDetailsElement[] = [];
    for (const text of texts) {
      for (const match of String(text ?? '').match(redactedJws) ?? []) {
        if (seen.has(match)) continue;
        seen.add(match);
        const [header = '', payload = ''] = match.split('.');
        try {
          const decoded = { header: decodeSegment(header), claims: decodeSegment(payload) };
          const { typ = '', alg = '', kid = '–' } = decoded.header;
          views.push(
            el(
              'details',
              { class: 'jwt' },
              el('summary', { text: `JWT ${String(typ)} ${String(alg)} kid ${String(kid)}: header and claims` }),
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

  function headerList(headers: Record<string, string> | undefined): HTMLElement {
    const entries = Object.entries(headers ?? {});
    if (entries.length === 0) return el('p', { class: 'muted', text: 'no headers recorded' });
    const list = el('dl', { class: 'headers' });
    for (const [name, value] of entries) list.append(el('dt', { text: name }), el('dd', { text: value }));
    return list;
  }

  function exchangeView(exchange: HtmlExchange, index: number): HTMLDetailsElement {
    const response = exchange.response;
    const statusClass = response ? `s${String(response.status).charAt(0)}` : 's0';
    const summary = el(
      'summary',
      {},
      el('span', { class: 'method', text: exchange.request.method }),
      el('span', { class: 'url', text: exchange.request.url }),
      el('span', { class: `status ${statusClass}`, text: response ? String(response.status) : 'no response' }),
      exchange.time !== null && el('span', { class: 'muted', text: exchange.time }),
      exchange.error && el('span', { class: 'muted', text: exchange.error }),
      exchange.note && el('span', { class: 'exchange-note', text: exchange.note }),
    );
    const request = el(
      'div',
      {},
      el('h5', { text: 'Request' }),
      headerList(exchange.request.headers),
      exchange.request.body !== undefined &&
        exchange.request.body !== '' &&
        el('pre', { class: 'body', text: prettyBody(exchange.request.body, exchange.request.headers) }),
      ...decodedTokens([...Object.values(exchange.request.headers ?? {}), exchange.request.body]),
    );
    const answer = el('div', {}, el('h5', { text: 'Response' }));
    if (response) {
      answer.append(headerList(response.headers));
      if (response.body) answer.append(el('pre', { class: 'body', text: prettyBody(response.body, response.headers) }));
      answer.append(...decodedTokens([...Object.values(response.headers ?? {}), response.body]));
    } else {
      answer.append(el('p', { class: 'muted', text: exchange.error ?? 'no response' }));
    }
    return el(
      'details',
      { class: 'exchange', open: index < 4, 'data-exchange': index },
      summary,
      el('div', { class: 'exchange-body' }, request, answer),
    );
  }

  const expectedText = (check: HtmlCheck) =>
    check.expected?.note ? `expected: ${check.expected.note}` : 'expected: listed in the expectations file';

  function detailView(check: HtmlCheck): HTMLTableRowElement {
    const cell = el('td', { colspan: 7, class: `c-${check.outcome}` });
    cell.append(el('p', { class: 'reason-full', text: check.reason }));
    if (check.expected) {
      cell.append(
        el(
          'p',
          { class: 'expected-note' },
          el('span', { class: 'badge expected', text: 'expected' }),
          ` ${expectedText(check)} — this ${check.outcome} does not fail the run`,
        ),
      );
    }
    cell.append(
      el(
        'div',
        { class: 'facts' },
        el('span', {}, 'id ', el('b', { class: 'mono', text: check.id })),
        el('span', {}, 'suite ', el('b', { text: check.suite })),
        el('span', {}, 'level ', el('b', { text: check.level })),
        el('span', {}, 'time ', el('b', { text: check.time })),
        check.spec.length > 0 && el('span', {}, 'spec ', clauseList(check.spec)),
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

  const rows: Row[] = data.checks.map((check, index) => {
    const toggle = el('button', {
      type: 'button',
      class: 'toggle',
      'aria-expanded': 'false',
      'aria-label': `Show details of ${check.id}`,
      text: '▸',
    });
    const row = el(
      'tr',
      {
        class: `check c-${check.outcome}${check.expected ? ' is-expected' : ''}`,
        'data-id': check.id,
        'data-outcome': check.outcome,
        'data-suite': check.suite,
        'data-expected': check.expected !== undefined,
      },
      el('td', { class: 'toggle-cell' }, toggle),
      el(
        'td',
        {},
        el('span', { class: 'badge', text: check.outcome }),
        check.expected && el('span', { class: 'badge expected', title: expectedText(check), text: 'expected' }),
      ),
      el(
        'td',
        {},
        el('span', { class: 'check-id', text: check.id }),
        el('span', { class: 'check-title', text: check.title }),
        check.outcome !== 'pass' && el('span', { class: 'check-reason', text: check.reason, title: check.reason }),
        check.expected?.note && el('span', { class: 'check-expected', text: expectedText(check) }),
      ),
      el('td', { class: 'suite-cell', text: check.suite }),
      el('td', {}, el('span', { class: `level ${check.level.toLowerCase()}`, text: check.level })),
      el('td', { class: 'num', text: check.time }),
      el('td', {}, clauseList(check.spec)),
    );
    const haystack = [
      check.id,
      check.title,
      check.reason,
      check.suite,
      check.expected?.note ?? '',
      ...check.spec.map((s) => s.clause),
    ]
      .join('\n')
      .toLowerCase();
    return { check, index, row, toggle, detail: null, open: false, haystack };
  });

  function setOpen(entry: Row, open: boolean): void {
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
      if (event.target instanceof Element && event.target.closest('a')) return;
      setOpen(entry, !entry.open);
    });
  }

  // Outcome chips and suite options
  const chipBox = need<HTMLElement>('#outcome-filter');
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
    return { chip, outcome };
  });
  for (const suite of data.run.suites) suiteFilter.append(el('option', { value: suite, text: suite }));

  const isOutcome = (value: string | undefined): value is Outcome => severity.includes(value as Outcome);
  const cards = Array.from(document.querySelectorAll<HTMLElement>('.card[data-outcome]'));
  for (const card of cards) {
    card.addEventListener('click', () => {
      const outcome = card.dataset['outcome'];
      if (!isOutcome(outcome)) return;
      const only = state.outcomes.size === 1 && state.outcomes.has(outcome);
      state.outcomes = only ? new Set(severity) : new Set([outcome]);
      apply();
      if (!only) checksPanel.scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
  }

  function ordered(): Row[] {
    const list = rows.slice();
    if (state.sort === 'severity') {
      list.sort((a, b) => severity.indexOf(a.check.outcome) - severity.indexOf(b.check.outcome) || a.index - b.index);
    } else if (state.sort === 'duration') {
      list.sort((a, b) => b.check.durationMs - a.check.durationMs || a.index - b.index);
    }
    return list;
  }

  function matches(entry: Row): boolean {
    const { check } = entry;
    if (!state.outcomes.has(check.outcome)) return false;
    if (state.suite && check.suite !== state.suite) return false;
    if (state.level && check.level !== state.level) return false;
    if (state.expected === 'only' && !check.expected) return false;
    if (state.expected === 'hide' && check.expected) return false;
    if (state.query) {
      const words = state.query.toLowerCase().split(/\s+/).filter(Boolean);
      if (!words.every((word) => entry.haystack.includes(word))) return false;
    }
    return true;
  }

  function saveState(): void {
    const params = new URLSearchParams();
    if (state.outcomes.size !== severity.length) params.set('outcome', severity.filter((o) => state.outcomes.has(o)).join(','));
    if (state.suite) params.set('suite', state.suite);
    if (state.level) params.set('level', state.level);
    if (state.expected) params.set('expected', state.expected);
    if (state.query) params.set('q', state.query);
    if (state.sort !== 'severity') params.set('sort', state.sort);
    const hash = params.toString();
    try {
      history.replaceState(null, '', hash ? `#${hash}` : location.pathname + location.search);
    } catch {
      // some browsers refuse history changes on file:// pages; the filters still work
    }
  }

  function loadState(): void {
    const params = new URLSearchParams(location.hash.replace(/^#/, ''));
    const outcome = params.get('outcome');
    if (outcome !== null) state.outcomes = new Set(outcome.split(',').filter(isOutcome));
    const suite = params.get('suite');
    if (suite && data.run.suites.includes(suite)) state.suite = suite;
    const level = params.get('level');
    if (level === 'MUST' || level === 'SHOULD') state.level = level;
    const expected = params.get('expected');
    if (expected === 'only' || expected === 'hide') state.expected = expected;
    state.query = params.get('q') ?? '';
    const sort = params.get('sort');
    if (sort === 'run' || sort === 'duration') state.sort = sort;
  }

  function apply(): void {
    let shown = 0;
    for (const entry of ordered()) {
      tbody.append(entry.row);
      if (entry.detail) tbody.append(entry.detail);
      const visible = matches(entry);
      entry.row.hidden = !visible;
      if (entry.detail) entry.detail.hidden = !visible || !entry.open;
      if (visible) shown++;
    }
    for (const { chip, outcome } of chips) chip.setAttribute('aria-pressed', String(state.outcomes.has(outcome)));
    for (const card of cards) {
      const outcome = card.dataset['outcome'];
      card.classList.toggle('active', state.outcomes.size === 1 && isOutcome(outcome) && state.outcomes.has(outcome));
    }
    search.value = state.query;
    suiteFilter.value = state.suite;
    levelFilter.value = state.level;
    expectedFilter.value = state.expected;
    sortSelect.value = state.sort;
    count.textContent = shown === rows.length ? `${rows.length} checks` : `${shown} of ${rows.length} checks shown`;
    empty.hidden = shown > 0 || rows.length === 0;
    const anyClosed = rows.some((entry) => !entry.row.hidden && !entry.open);
    expandAll.textContent = anyClosed ? 'Expand all' : 'Collapse all';
    saveState();
  }

  function reset(): void {
    state.outcomes = new Set(severity);
    state.suite = '';
    state.level = '';
    state.expected = '';
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
  expectedFilter.addEventListener('change', () => {
    const value = expectedFilter.value;
    state.expected = value === 'only' || value === 'hide' ? value : '';
    apply();
  });
  sortSelect.addEventListener('change', () => {
    const value = sortSelect.value;
    state.sort = value === 'run' || value === 'duration' ? value : 'severity';
    apply();
  });
  need<HTMLButtonElement>('#reset').addEventListener('click', reset);
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

  for (const link of document.querySelectorAll<HTMLElement>('.suite-link[data-suite]')) {
    link.addEventListener('click', () => {
      const suite = link.dataset['suite'] ?? '';
      state.suite = state.suite === suite ? '' : suite;
      apply();
      checksPanel.scrollIntoView({ behavior: 'smooth', block: 'start' });
    });
  }

  // Slowest-checks bars open their check.
  for (const bar of document.querySelectorAll<SVGGElement>('.bar-row[data-check-id]')) {
    bar.addEventListener('click', () => {
      const entry = rows.find((candidate) => candidate.check.id === bar.dataset['checkId']);
      if (!entry) return;
      if (!matches(entry)) reset();
      setOpen(entry, true);
      apply();
      entry.row.scrollIntoView({ behavior: 'smooth', block: 'center' });
    });
  }

  // Timeline read-out: the point nearest the pointer, from the chart points in the data.
  const faults = data.timeline?.faults ?? [];
  function readoutText(chart: HtmlChart, point: HtmlChart['points'][number]): string {
    const during = faults.filter((fault) => point.t >= fault.startMs && point.t < fault.endMs).map((fault) => fault.name);
    return `t=${point.at} · ${point.value} ${chart.unit}${during.length ? ` · ${during.join(', ')}` : ''}`;
  }
  for (const chart of data.timeline?.charts ?? []) {
    const svg = document.querySelector<SVGSVGElement>(`svg.timeline[data-series="${chart.series}"]`);
    const readout = document.querySelector<HTMLElement>(`[data-readout="${chart.series}"]`);
    const cursor = svg?.querySelector<SVGLineElement>('.cursor');
    const dot = svg?.querySelector<SVGCircleElement>('.cursor-dot');
    if (!svg || !readout || !cursor || !dot || chart.points.length === 0) continue;
    svg.addEventListener('mousemove', (event) => {
      const box = svg.getBoundingClientRect();
      const x = ((event.clientX - box.left) / box.width) * svg.viewBox.baseVal.width;
      let nearest = chart.points[0]!;
      for (const point of chart.points) if (Math.abs(point.x - x) < Math.abs(nearest.x - x)) nearest = point;
      cursor.setAttribute('x1', String(nearest.x));
      cursor.setAttribute('x2', String(nearest.x));
      cursor.setAttribute('visibility', 'visible');
      dot.setAttribute('cx', String(nearest.x));
      dot.setAttribute('cy', String(nearest.y));
      dot.setAttribute('visibility', 'visible');
      readout.textContent = readoutText(chart, nearest);
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
