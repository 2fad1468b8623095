// The status page: jobs, runs and one run's stages (with live progress), precheck and
// verification, from the same API as everything else. Plain DOM, no framework.
(function () {
  'use strict';
  let auth = sessionStorage.getItem('caravan-auth');
  let selectedRun = null;
  const $ = (id) => document.getElementById(id);

  function text(value) { return value === null || value === undefined ? '' : String(value); }
  function cell(row, value, cls) {
    const td = row.insertCell();
    td.textContent = text(value);
    if (cls) td.className = cls;
    return td;
  }
  async function api(path, options) {
    const res = await fetch(path, Object.assign({ headers: { 'Authorization': auth, 'Accept': 'application/json' } }, options || {}));
    if (res.status === 401) { signOut(); throw new Error('not signed in'); }
    if (!res.ok) {
      let message = res.status + ' ' + res.statusText;
      try { message = (await res.json()).message || message; } catch (e) { /* not JSON */ }
      throw new Error(message);
    }
    return res;
  }
  function signOut() { sessionStorage.removeItem('caravan-auth'); auth = null; $('app').hidden = true; $('login').hidden = false; }

  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const user = $('user').value;
    const password = $('password').value;
    // checked first without basic auth, so a wrong password gets no browser password dialog
    const res = await fetch('/api/session', {
      method: 'POST', headers: { 'Content-Type': 'application/json', 'Accept': 'application/json' },
      body: JSON.stringify({ user: user, password: password })
    });
    if (!res.ok) {
      let message = res.status + ' ' + res.statusText;
      try { message = (await res.json()).message || message; } catch (err) { /* not JSON */ }
      $('login-error').textContent = 'Sign-in refused: ' + message;
      return;
    }
    auth = 'Basic ' + btoa(unescape(encodeURIComponent(user + ':' + password)));
    sessionStorage.setItem('caravan-auth', auth);
    $('login-error').textContent = '';
    $('who').textContent = user;
    start();
  });

  async function loadJobs() {
    const jobs = await (await api('/api/jobs')).json();
    const body = $('jobs').tBodies[0];
    body.innerHTML = '';
    for (const job of jobs) {
      const last = await (await api('/api/runs?limit=1&job=' + encodeURIComponent(job.name))).json();
      const row = body.insertRow();
      row.dataset.job = job.name;
      cell(row, job.name);
      cell(row, job.source.host + ':' + job.source.port + '/' + (job.source.databases ? job.source.databases.join(', ') : job.source.database));
      cell(row, job.destination.host + ':' + job.destination.port + '/' + job.destination.database);
      cell(row, job.schedule && job.schedule.cron ? job.schedule.cron + (job.schedule.timeZone ? ' (' + job.schedule.timeZone + ')' : '') : 'on demand');
      const lastCell = cell(row, last.length ? last[0].status : 'never', last.length ? last[0].status : '');
      if (last.length) { lastCell.title = last[0].id; }
      const button = document.createElement('button');
      button.textContent = 'Run now';
      button.className = 'run-now';
      button.addEventListener('click', () => runNow(job.name));
      row.insertCell().appendChild(button);
    }
  }

  async function runNow(job) {
    $('action-error').textContent = '';
    try {
      const res = await api('/api/jobs/' + encodeURIComponent(job) + '/runs', {
        method: 'POST', headers: { 'Authorization': auth, 'Content-Type': 'application/json', 'Accept': 'application/json' }, body: '{}'
      });
      const started = await res.json();
      // a job of several databases answers with a run of each: the first is shown
      selectRun(started.id || started.runs[0].id);
    } catch (err) { $('action-error').textContent = job + ': ' + err.message; }
  }

  async function loadRuns() {
    const runs = await (await api('/api/runs?limit=20')).json();
    const body = $('runs').tBodies[0];
    body.innerHTML = '';
    for (const run of runs) {
      const row = body.insertRow();
      const link = document.createElement('a');
      link.textContent = run.id;
      link.addEventListener('click', () => selectRun(run.id));
      row.insertCell().appendChild(link);
      cell(row, run.database ? run.job + ' (' + run.database + ')' : run.job);
      cell(row, run.status, run.status);
      cell(row, run.trigger);
      cell(row, run.replica || '');
      cell(row, run.startedAt || run.createdAt);
      cell(row, run.durationMs === null || run.durationMs === undefined ? '' : (run.durationMs / 1000).toFixed(1) + ' s', 'n');
    }
  }

  function selectRun(id) { selectedRun = id; location.hash = 'run=' + encodeURIComponent(id); loadRun(); }

  function progressCell(row, p, status) {
    const td = row.insertCell();
    if (!p && status !== 'RUNNING') { return; }
    const bar = document.createElement('span');
    bar.className = 'bar' + (p && p.percent !== null && p.percent !== undefined ? '' : ' indeterminate');
    const fill = document.createElement('span');
    if (p && p.percent !== null && p.percent !== undefined) { fill.style.width = p.percent + '%'; }
    bar.appendChild(fill);
    td.appendChild(bar);
    if (p) {
      const t = document.createElement('span');
      t.className = 'progress-text';
      let s = p.done + (p.total ? ' / ' + p.total : '') + ' ' + p.unit;
      if (p.bytes) { s += ', ' + (p.bytes / 1048576).toFixed(1) + (p.totalBytes ? ' / ' + (p.totalBytes / 1048576).toFixed(1) : '') + ' MiB'; }
      if (p.bytesPerSecond) { s += ', ' + (p.bytesPerSecond / 1048576).toFixed(1) + ' MiB/s'; }
      t.textContent = s;
      td.appendChild(t);
    }
  }

  async function loadRun() {
    if (!selectedRun) { return; }
    const run = await (await api('/api/runs/' + encodeURIComponent(selectedRun))).json();
    $('run').hidden = false;
    $('run-id').textContent = run.id;
    $('run-status').textContent = run.status;
    $('run-status').className = 'status ' + run.status;
    $('run-error').textContent = text(run.error);
    const active = run.status === 'QUEUED' || run.status === 'RUNNING';
    const ended = run.status === 'FAILED' || run.status === 'CANCELLED';
    $('cancel-run').hidden = !active;
    $('resume-run').hidden = !ended;
    $('discard-staging').hidden = !ended;
    const stages = $('stages').tBodies[0];
    stages.innerHTML = '';
    for (const s of run.stages) {
      const row = stages.insertRow();
      cell(row, s.name);
      cell(row, s.status, s.status);
      progressCell(row, s.progress, s.status);
      cell(row, s.durationMs === null || s.durationMs === undefined ? '' : (s.durationMs / 1000).toFixed(1), 'n');
      cell(row, s.detail);
    }
    const precheck = $('precheck').tBodies[0];
    precheck.innerHTML = '';
    for (const item of run.precheck || []) {
      const row = precheck.insertRow();
      cell(row, item.item);
      cell(row, item.status, item.status);
      cell(row, item.message);
    }
    const verification = $('verification').tBodies[0];
    verification.innerHTML = '';
    for (const t of (run.verification && run.verification.tables) || []) {
      const row = verification.insertRow();
      cell(row, t.schema + '.' + t.table);
      cell(row, t.kind);
      cell(row, t.sourceRows, 'n');
      cell(row, t.destinationRows === null ? 'missing' : t.destinationRows, 'n');
      cell(row, t.match ? 'yes' : 'NO', t.match ? 'ok' : 'bad');
    }
  }

  $('open-report').addEventListener('click', async () => {
    const res = await api('/api/runs/' + encodeURIComponent(selectedRun) + '/report', { headers: { 'Authorization': auth, 'Accept': 'text/html' } });
    const url = URL.createObjectURL(new Blob([await res.text()], { type: 'text/html' }));
    window.open(url, '_blank');
  });

  // the run's commands, as the API has them (operator only: a viewer is told so)
  async function runAction(method, suffix, done) {
    const id = selectedRun;
    $('run-action').textContent = '';
    try {
      const res = await api('/api/runs/' + encodeURIComponent(id) + suffix, { method: method, headers: { 'Authorization': auth, 'Accept': 'application/json' } });
      $('run-action').textContent = done(await res.json());
      await loadRun();
    } catch (err) { $('run-action').textContent = id + ': ' + err.message; }
  }
  $('cancel-run').addEventListener('click', () => runAction('POST', '/cancel', () => 'cancelled'));
  $('resume-run').addEventListener('click', () => runAction('POST', '/resume', () => 'resumed'));
  $('discard-staging').addEventListener('click', () => {
    if (!window.confirm('Discard the staging copy of ' + selectedRun + '? A resume will dump again.')) { return; }
    runAction('DELETE', '/staging', (r) => r.freedBytes > 0
      ? 'staging copy discarded: ' + (r.freedBytes / 1048576).toFixed(1) + ' MiB freed' : 'no staging copy was kept');
  });

  async function refresh() {
    try {
      await loadRuns();
      await loadRun();
    } catch (err) { /* shown on the next successful call */ }
  }

  function start() {
    $('login').hidden = true;
    $('app').hidden = false;
    const m = location.hash.match(/run=([^&]+)/);
    if (m) { selectedRun = decodeURIComponent(m[1]); }
    loadJobs().catch(() => {});
    refresh();
  }

  setInterval(() => { if (auth) { refresh(); } }, 1000);
  setInterval(() => { if (auth) { loadJobs().catch(() => {}); } }, 10000);
  if (auth) { start(); }
})();
