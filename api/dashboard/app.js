// The dashboard in the browser: sign in with an API key (kept in sessionStorage, sent as a Bearer
// header), read GET /v1/dashboard, and draw it. Every value goes in as text, never as HTML.
(() => {
  const KEY = 'referral-engine-dashboard-key';
  const $ = (id) => document.getElementById(id);
  const charts = {};
  let signedInKey = sessionStorage.getItem(KEY);

  /** Integer minor units in the currency's format, without passing through a floating-point number. */
  function money(minor, currency) {
    const format = new Intl.NumberFormat('en-US', { style: 'currency', currency: currency.toUpperCase() });
    const digits = format.resolvedOptions().maximumFractionDigits;
    const text = String(Math.abs(minor)).padStart(digits + 1, '0');
    const major = digits > 0 ? `${text.slice(0, -digits)}.${text.slice(-digits)}` : text;
    return format.format(`${minor < 0 ? '-' : ''}${major}`);
  }

  function element(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }

  function card(label, value, id) {
    const node = element('div', undefined, 'card');
    node.dataset.card = id;
    node.append(element('div', label, 'label'), element('div', value, 'value'));
    return node;
  }

  function showSignIn(message) {
    signedInKey = null;
    sessionStorage.removeItem(KEY);
    $('dashboard').hidden = true;
    $('controls').hidden = true;
    $('load-error').hidden = true;
    $('sign-in').hidden = false;
    $('sign-in-error').textContent = message ?? '';
    $('key').focus();
  }

  async function load() {
    document.body.dataset.loaded = 'false';
    const params = new URLSearchParams({ days: $('days').value });
    if ($('program').value) params.set('programId', $('program').value);
    let response;
    try {
      response = await fetch(`/v1/dashboard?${params}`, { headers: { authorization: `Bearer ${signedInKey}`, accept: 'application/json' } });
    } catch {
      $('load-error').textContent = 'The server could not be reached. Try again in a moment.';
      $('load-error').hidden = false;
      return;
    }
    const body = await response.json().catch(() => ({}));
    if (response.status === 401 || response.status === 403) {
      showSignIn(`That key was refused: ${body.detail ?? response.statusText}`);
      return;
    }
    if (!response.ok) {
      $('load-error').textContent = `The dashboard could not be loaded (${response.status}): ${body.detail ?? response.statusText}`;
      $('load-error').hidden = false;
      return;
    }
    sessionStorage.setItem(KEY, signedInKey);
    $('sign-in').hidden = true;
    $('load-error').hidden = true;
    $('controls').hidden = false;
    $('dashboard').hidden = false;
    render(body);
  }

  function renderPrograms(programs, selected) {
    const select = $('program');
    select.replaceChildren(
      ...programs.map((program) => {
        const option = element('option', program.name === program.programId ? program.programId : `${program.name} (${program.programId})`);
        option.value = program.programId;
        option.selected = program.programId === selected;
        return option;
      }),
    );
  }

  function renderLiabilities(program) {
    const cards = [];
    for (const totals of program.liabilities) {
      const suffix = program.liabilities.length > 1 ? ` (${totals.currency.toUpperCase()})` : '';
      cards.push(
        card(`Held (pending)${suffix}`, money(totals.pendingLiability, totals.currency), 'pending'),
        card(`Earned${suffix}`, money(totals.earned, totals.currency), 'earned'),
        card(`Paid through Stripe${suffix}`, money(totals.fulfilled, totals.currency), 'paid'),
        card(`Still owed${suffix}`, money(totals.owed, totals.currency), 'owed'),
        card(`Reversed${suffix}`, money(totals.reversed, totals.currency), 'reversed'),
        card(`Released (voided)${suffix}`, money(totals.voided, totals.currency), 'voided'),
      );
    }
    if (cards.length === 0) cards.push(card('Rewards', 'None yet', 'none'));
    $('liabilities').replaceChildren(...cards);
    const oldest = program.reviewQueue.oldestSince ? `oldest since ${new Date(program.reviewQueue.oldestSince).toLocaleDateString('en-US')}` : 'empty';
    const review = card('Review queue', program.reviewQueue.size, 'review-queue');
    review.append(element('div', oldest, 'label'));
    $('queues').replaceChildren(review, card('Needs attention', program.needsAttention, 'needs-attention'));
  }

  function drawChart(id, config) {
    charts[id]?.destroy();
    charts[id] = new Chart($(id), config);
  }

  function renderCharts(program) {
    const series = (label, key, color) => ({
      label,
      data: program.funnel.map((day) => day[key]),
      borderColor: color,
      backgroundColor: color,
      tension: 0,
    });
    drawChart('funnel-chart', {
      type: 'line',
      data: {
        labels: program.funnel.map((day) => day.day.slice(5)),
        datasets: [
          series('Clicks', 'clicks', '#8fa8e8'),
          series('Referrals', 'referrals', '#2f5bd3'),
          series('Conversions', 'conversions', '#e08a1e'),
          series('Rewards', 'rewards', '#1e7b34'),
        ],
      },
      options: { animation: false, maintainAspectRatio: false, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
    const colours = {
      pending_conversion: '#8fa8e8',
      in_review: '#e08a1e',
      holding: '#2f5bd3',
      rewarding: '#0f8b8d',
      rewarded: '#1e7b34',
      needs_attention: '#b3261e',
      reversed: '#7b5ea7',
      expired: '#9aa1ad',
      rejected: '#5b6478',
      voided: '#c2a0d8',
      capped: '#8d6e63',
      cancelled: '#455a64',
    };
    drawChart('status-chart', {
      type: 'doughnut',
      data: {
        labels: program.statuses.map((entry) => entry.status.replace('_', ' ')),
        datasets: [
          { data: program.statuses.map((entry) => entry.count), backgroundColor: program.statuses.map((entry) => colours[entry.status] ?? '#9aa1ad') },
        ],
      },
      options: { animation: false, maintainAspectRatio: false, plugins: { legend: { position: 'right' } } },
    });
  }

  function renderTopReferrers(program) {
    const rows = program.topReferrers.map((referrer) => {
      const row = element('tr');
      row.append(
        element('td', referrer.externalId),
        element('td', referrer.name ?? ''),
        element('td', referrer.referrals, 'number'),
        element('td', referrer.rewarded, 'number'),
        element('td', money(referrer.earned, program.currency || 'usd'), 'number'),
      );
      return row;
    });
    if (rows.length === 0) {
      const empty = element('tr');
      const cell = element('td', 'No referrals yet');
      cell.colSpan = 5;
      empty.append(cell);
      rows.push(empty);
    }
    $('top-referrers').tBodies[0].replaceChildren(...rows);
  }

  function renderReconciliation(run) {
    const target = $('reconciliation');
    if (!run) {
      target.replaceChildren(element('p', 'No reconciliation has run yet. One runs daily; finance can start one with POST /v1/reconciliation/runs.'));
      return;
    }
    const unrepaired = Object.values(run.unrepaired).reduce((sum, count) => sum + count, 0);
    const verdict =
      run.status === 'running'
        ? 'Running'
        : run.status === 'failed'
          ? 'Failed'
          : unrepaired > 0
            ? `${unrepaired} ${unrepaired === 1 ? 'finding needs' : 'findings need'} a person`
            : 'The ledger and Stripe agree';
    const headline = element('p');
    headline.append(element('strong', verdict, `status-${run.status === 'completed' && unrepaired > 0 ? 'findings' : run.status}`));
    const when = run.finishedAt ?? run.startedAt;
    headline.append(
      document.createTextNode(
        ` · run ${run.runId} · ${run.status === 'running' ? 'started' : 'finished'} ${new Date(when).toLocaleString('en-US', { timeZone: 'UTC' })} UTC · ${run.checked} rewards checked`,
      ),
    );
    const list = element('ul');
    for (const finding of run.findings) {
      const item = element('li');
      item.append(element('strong', finding.kind.replaceAll('_', ' ')), document.createTextNode(`${finding.repaired ? ' (repaired)' : ''}: ${finding.detail}`));
      list.append(item);
    }
    const more =
      run.findingCount > run.findings.length
        ? [element('p', `and ${run.findingCount - run.findings.length} more (GET /v1/reconciliation/runs/${run.runId})`)]
        : [];
    target.replaceChildren(headline, ...(run.findings.length > 0 ? [list] : []), ...more);
  }

  function render(data) {
    renderPrograms(data.programs, data.program?.programId);
    $('empty').hidden = data.program !== null;
    $('program-view').hidden = data.program === null;
    if (data.program) {
      renderLiabilities(data.program);
      renderCharts(data.program);
      renderTopReferrers(data.program);
    }
    renderReconciliation(data.reconciliation);
    document.body.dataset.loaded = 'true';
  }

  $('sign-in').addEventListener('submit', (event) => {
    event.preventDefault();
    signedInKey = $('key').value.trim();
    $('key').value = '';
    void load();
  });
  $('sign-out').addEventListener('click', () => showSignIn());
  $('program').addEventListener('change', () => void load());
  $('days').addEventListener('change', () => void load());
  $('refresh').addEventListener('click', () => void load());

  if (signedInKey) void load();
  else showSignIn();
})();
