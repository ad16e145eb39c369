// GET /dashboard: a read-only page for finance and growth. The page itself holds no data: a person
// signs in with a finance or ops API key, which stays in the tab (sessionStorage) and goes as a
// Bearer header to GET /v1/dashboard. Every file it loads comes from our own origin (Chart.js from
// its npm package), and the Content-Security-Policy runs scripts from 'self' only: no inline script,
// no build step.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/** The files the page loads, by the name it asks for under /dashboard/assets/. */
export const dashboardAssetFiles: ReadonlyMap<string, string> = new Map([
  ['app.js', fileURLToPath(new URL('./app.js', import.meta.url))],
  ['style.css', fileURLToPath(new URL('./style.css', import.meta.url))],
  // chart.js exports no path to its UMD build, which sits next to its CommonJS entry.
  ['chart.umd.min.js', path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js')],
]);

export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Referral engine · dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/style.css">
</head>
<body>
<header>
  <h1>Referral engine</h1>
  <div class="controls" id="controls" hidden>
    <label>Program <select id="program"></select></label>
    <label>Last <select id="days"><option value="7">7 days</option><option value="30" selected>30 days</option><option value="90">90 days</option></select></label>
    <button type="button" id="refresh">Refresh</button>
    <button type="button" id="sign-out">Sign out</button>
  </div>
</header>
<main>
  <form id="sign-in" class="panel">
    <h2>Sign in</h2>
    <p>Paste an API key with the <code>finance</code> or <code>ops</code> scope. It stays in this tab and is sent only to this server.</p>
    <label for="key">API key</label>
    <input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required>
    <button type="submit">Sign in</button>
    <p id="sign-in-error" class="error" role="alert"></p>
  </form>
  <p id="load-error" class="error" role="alert" hidden></p>
  <div id="dashboard" hidden>
    <p id="empty" hidden>No programs yet.</p>
    <div id="program-view">
      <section aria-labelledby="liabilities-title">
        <h2 id="liabilities-title">Liabilities</h2>
        <div id="liabilities" class="cards"></div>
      </section>
      <section aria-labelledby="queues-title">
        <h2 id="queues-title">Waiting on people</h2>
        <div id="queues" class="cards"></div>
      </section>
      <div class="charts">
        <figure class="panel"><figcaption id="funnel-title">Funnel</figcaption><div class="chart"><canvas id="funnel-chart" aria-labelledby="funnel-title"></canvas></div></figure>
        <figure class="panel"><figcaption id="status-title">Referrals by status</figcaption><div class="chart"><canvas id="status-chart" aria-labelledby="status-title"></canvas></div></figure>
      </div>
      <section aria-labelledby="top-title" class="panel">
        <h2 id="top-title">Top referrers</h2>
        <table id="top-referrers">
          <thead><tr><th>Referrer</th><th>Name</th><th class="number">Referrals</th><th class="number">Rewarded</th><th class="number">Earned</th></tr></thead>
          <tbody></tbody>
        </table>
      </section>
    </div>
    <section aria-labelledby="reconciliation-title" class="panel">
      <h2 id="reconciliation-title">Latest reconciliation</h2>
      <div id="reconciliation"></div>
    </section>
  </div>
</main>
<script src="/dashboard/assets/chart.umd.min.js"></script>
<script src="/dashboard/assets/app.js"></script>
</body>
</html>
`;
