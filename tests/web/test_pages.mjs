// Browser test of the web page: drives Debian's Chromium through playwright-core against a real
// `qbdb serve` on a loopback port, over the database tests/web/run.sh made with `qbdb ingest`.
//
// Environment (set by run.sh):
//   QBDB        the qbdb binary            QBDB_DB   the database
//   WEB_DIR     web/ (for playwright-core)  SHOTS     where the screenshots go
//   CHROMIUM    the browser (/usr/bin/chromium)
//   QBDB_TOKEN  an admin token, or empty when `qbdb token create` is not available
//   QBDB_WEB_URL  optional: test a server that is already running instead of starting one
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { join } from "node:path";

const env = process.env;
const require = createRequire(join(env.WEB_DIR, "package.json"));
const { chromium } = require("playwright-core");

const SHOTS = env.SHOTS;
// ms: the longest any one wait may take (a loaded 2-core machine, an ASan build); a wait that
// runs out says what it waited for
const WAIT = 120000;
mkdirSync(SHOTS, { recursive: true });
let failures = 0;
function check(cond, what, got) {
  if (cond) console.log("  ok    " + what);
  else {
    failures++;
    console.log("  FAIL  " + what + (got !== undefined ? " (got: " + JSON.stringify(got) + ")" : ""));
  }
}
function step(name) {
  console.log("- " + name);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts `qbdb serve` on a free port; returns {url, proc}. Retries when the port was taken.
async function startServer(extra = [], db = env.QBDB_DB) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn(env.QBDB, ["serve", "--db", db, "--listen", "127.0.0.1:" + port, ...extra], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    proc.stdout.on("data", (d) => (log += d));
    proc.stderr.on("data", (d) => (log += d));
    let exited = null;
    proc.on("exit", (code, sig) => (exited = code ?? sig));
    const url = "http://127.0.0.1:" + port + "/";
    for (const end = Date.now() + WAIT; Date.now() < end && exited === null; ) {
      try {
        const r = await fetch(url + "api/v1/health");
        if (r.ok) return { url, proc, log: () => log };
      } catch {
        /* not up yet */
      }
      await sleep(100);
    }
    if (exited === null) proc.kill("SIGKILL");
    console.log("qbdb serve did not answer GET /api/v1/health on port " + port +
      (exited === null ? " within " + WAIT / 1000 + " s" : " (exit " + exited + ")") + ": " + log.trim());
  }
  throw new Error("could not start qbdb serve");
}

// Stops a server startServer() started: SIGTERM, and its exit awaited (SIGKILL, said, only if it
// has not exited within WAIT: a server that ignores SIGTERM is a failure worth seeing).
async function stopServer(srv) {
  if (srv.proc.exitCode !== null || srv.proc.signalCode !== null) return;
  srv.proc.kill("SIGTERM");
  await new Promise((r) => {
    const t = setTimeout(() => {
      console.log("FAIL  qbdb serve did not exit within " + WAIT / 1000 + " s of SIGTERM; killed");
      failures++;
      srv.proc.kill("SIGKILL");
      r();
    }, WAIT);
    srv.proc.on("exit", () => (clearTimeout(t), r()));
  });
}

async function getJson(url, token) {
  const r = await fetch(url, { headers: token ? { Authorization: "Bearer " + token } : {} });
  return { status: r.status, body: await r.json() };
}

let server = null;
let browser = null;
async function main() {
  let base = env.QBDB_WEB_URL;
  if (!base) {
    server = await startServer();
    base = server.url;
  }
  console.log("server: " + base);

  // the server serves the embedded page and its assets
  step("assets");
  for (const [path, type] of [["", "text/html"], ["app.js", "javascript"], ["app.css", "text/css"],
    ["vendor/uPlot.iife.min.js", "javascript"], ["vendor/uPlot.min.css", "text/css"]]) {
    const r = await fetch(base + path);
    check(r.status === 200 && (r.headers.get("content-type") || "").includes(type), "GET /" + path + " is " + type,
      r.status + " " + r.headers.get("content-type"));
  }

  if (failures) throw new Error("the server does not serve the embedded page (http/web_assets.h: GET / and GET /<path>), stopping here");

  browser = await chromium.launch({
    executablePath: env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout: WAIT, // the launch, on a loaded machine
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--no-first-run"],
  });
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  ctx.setDefaultTimeout(WAIT);
  const page = await ctx.newPage();
  const problems = [];
  const foreign = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => {
    if (m.type() === "error" && !/status of 401/.test(m.text())) problems.push("console: " + m.text());
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  const origin = new URL(base).origin;
  const shot = async (name) => {
    await page.screenshot({ path: join(SHOTS, name + ".png"), fullPage: true });
    console.log("  screenshot " + join(SHOTS, name + ".png"));
  };
  // waits until the router has rendered `name` after the last navigation
  const ready = async (name) => {
    await page.waitForFunction((n) => (document.body.dataset.ready || "").startsWith(n + ":"), name, { timeout: WAIT });
  };
  const nav = async (hash, name) => {
    await page.evaluate(() => delete document.body.dataset.ready);
    if (page.url() === base + hash) await page.reload(); // same hash: no hashchange
    else await page.goto(base + hash);
    await ready(name);
  };

  // ---- runs list
  step("runs list");
  await nav("#/runs", "runs");
  const commits = await page.$$eval("#runs-table tbody tr", (trs) => trs.map((t) => t.dataset.commit));
  for (const c of ["aaaa1111", "bbbb2222", "cccc3333", "dddd4444", "1001000d", "100c009c"])
    check(commits.includes(c), "runs list shows commit " + c, commits);
  check(commits.length === 16, "16 runs listed", commits.length);
  const error = await page.$(".error");
  check(!error, "no error box");
  await shot("runs");

  step("project filter");
  await page.waitForSelector("#project option[value=py]", { state: "attached" });
  await page.evaluate(() => delete document.body.dataset.ready);
  await page.selectOption("#project", "py");
  await ready("runs");
  const pyCommits = await page.$$eval("#runs-table tbody tr", (trs) => trs.map((t) => t.dataset.commit).sort());
  check(JSON.stringify(pyCommits) === '["aaaa1111","bbbb2222"]', "project py lists its two runs", pyCommits);

  // ---- compare picked from the runs list
  step("compare view (picked in the runs list)");
  const idOf = async (commit) => page.$eval(`#runs-table tr[data-commit="${commit}"]`, (t) => t.dataset.run);
  const baseId = await idOf("aaaa1111");
  const headId = await idOf("bbbb2222");
  await page.check(`#runs-table tr[data-commit="aaaa1111"] input[name=base]`);
  await page.check(`#runs-table tr[data-commit="bbbb2222"] input[name=head]`);
  check(await page.isEnabled("#compare-btn"), "Compare is enabled once base and head are picked");
  await page.evaluate(() => delete document.body.dataset.ready);
  await page.click("#compare-btn");
  await ready("compare");
  check(page.url().endsWith(`#/compare?base=${baseId}&head=${headId}`), "compare URL names the picked runs", page.url());
  const slow = await page.$eval('#compare-table tr[data-benchmark="test_scaled_slower"]', (t) => ({
    verdict: t.dataset.verdict, severity: t.dataset.severity, cls: t.className, text: t.innerText,
    bg: getComputedStyle(t).backgroundColor,
  }));
  check(slow.verdict === "regression" && slow.severity === "major", "test_scaled_slower is a major regression", slow);
  check(/regression \(major\)/.test(slow.text) && /\+21\.9\d%/.test(slow.text), "its row says regression (major), +21.9x%", slow.text);
  check(/µs/.test(slow.text), "values in human units (µs)", slow.text);
  check(slow.bg !== "rgba(0, 0, 0, 0)", "its row is coloured by severity", slow.bg);
  const fast = await page.$eval('#compare-table tr[data-benchmark="test_scaled_faster"]', (t) => t.dataset.verdict);
  check(fast === "improvement", "test_scaled_faster is an improvement", fast);
  const summary = await page.textContent("#cmp-summary");
  // one earlier run: the noise is unknown, so only the changes of 10% or more count
  check(/1 regression(?!s)/.test(summary) && /1 improvement(?!s)/.test(summary) && /7 unchanged/.test(summary) &&
    /noise unknown for 9/.test(summary), "summary counts", summary);
  const baseline = await page.textContent("#cmp-baseline");
  check(/as asked/.test(baseline), "the baseline and why", baseline);
  await shot("compare");

  step("compare: sortable columns");
  await page.click('#compare-table th[data-sort="change"]');
  let order = await page.$$eval("#compare-table tbody tr", (trs) => trs.map((t) => t.dataset.benchmark));
  check(order[0] === "test_scaled_slower", "sorted by change (largest first): test_scaled_slower first", order);
  await page.click('#compare-table th[data-sort="change"]');
  order = await page.$$eval("#compare-table tbody tr", (trs) => trs.map((t) => t.dataset.benchmark));
  check(order[0] === "test_scaled_faster", "second click reverses: test_scaled_faster first", order);
  await page.click('#compare-table th[data-sort="benchmark"]');
  order = await page.$$eval("#compare-table tbody tr", (trs) => trs.map((t) => t.dataset.benchmark));
  check(JSON.stringify(order) === JSON.stringify(order.slice().sort((a, b) => a.localeCompare(b))), "sorted by name", order);
  await page.check("#only-changed");
  const changed = await page.$$eval("#compare-table tbody tr", (trs) => trs.map((t) => t.dataset.verdict));
  check(changed.length === 2 && !changed.includes("unchanged"), "only changed rows: 2 left", changed);

  // ---- criterion compare (B/s throughput rows)
  const rsBase = await (await fetch(base + "api/v1/runs?project=rs")).json();
  const rsIds = (rsBase.runs || []).map((r) => r.id).sort((a, b) => a - b);
  await nav(`#/compare?base=${rsIds[0]}&head=${rsIds[1]}`, "compare");
  const spin = await page.$eval('#compare-table tr[data-benchmark="spin 10k"]', (t) => t.dataset.severity + " " + t.dataset.verdict);
  check(spin === "critical regression", "criterion: spin 10k is a critical regression", spin);
  const tput = await page.$eval('#compare-table tr[data-metric="throughput"]', (t) => t.innerText);
  check(/MiB\/s/.test(tput), "byte rates in MiB/s", tput);

  // ---- run page
  step("run page");
  await nav(`#/run/${headId}`, "run");
  const runText = await page.textContent("main");
  check(/Run #\d+/.test(runText) && runText.includes("bbbb2222"), "run header and commit", runText.slice(0, 120));
  const benchRows = await page.$$eval("table.bench tbody tr", (trs) => trs.map((t) => t.dataset.benchmark));
  check(benchRows.length === 9 && benchRows.includes("test_scaled_slower"), "9 benchmark rows", benchRows);
  const slowRow = await page.$eval('table.bench tr[data-benchmark="test_scaled_slower"]', (t) => t.innerText);
  check(/\d+\.\d+ µs/.test(slowRow), "benchmark values in µs", slowRow);
  // pytest-benchmark stores no CI but the raw samples: the 95% CI column shows the computed one
  const apiRun = (await getJson(base + "api/v1/runs/" + headId)).body;
  const apiCi = [];
  for (const b of apiRun.benchmarks) for (const r of b.results) apiCi.push([b.name, r.ci_source || "", r.ci_lo, r.ci_hi]);
  const pageCi = await page.$$eval("table.bench tbody tr", (trs) => trs.map((t) => [t.dataset.benchmark, t.querySelector("td.ci").dataset.ciSource || "", t.querySelector("td.ci").textContent]));
  // (8 of the 9: test_very_slow has too few rounds for an interval, so it stays "-")
  const fromSamples = apiCi.filter((x) => x[1] === "samples" && x[2] != null).map((x) => x[0]);
  let ciOk = apiCi.length === 9 && fromSamples.length === 8 && !fromSamples.includes("test_very_slow");
  for (const [name, src, lo, hi] of apiCi) {
    const row = pageCi.find((x) => x[0] === name);
    const want = src === "samples" ? await page.evaluate(([a, b]) => window.qbdb.human(a, "ns") + " – " + window.qbdb.human(b, "ns") + "\u2020", [lo, hi]) : "-";
    if (!row || row[2] !== want) ciOk = false;
  }
  check(ciOk, "pytest run: the 95% CI column shows the interval computed from the samples (ci_source samples, 8 of 9), as the API gives it", { fromSamples, pageCi });
  const letter = await page.textContent("#grade .letter");
  check(["A+", "A", "B", "C", "D"].includes(letter.trim()), "a grade letter", letter);
  const apiGrade = (await getJson(base + "api/v1/runs/" + headId + "/grade")).body;
  check(letter.trim() === apiGrade.letter, "the letter is the API's grade (" + apiGrade.letter + ")", letter);
  const gradeText = await page.textContent("#grade");
  check(gradeText.includes("score " + Math.round(apiGrade.score) + " / 100") && gradeText.includes("against run #" + baseId), "score and baseline", gradeText);
  await shot("run");

  step("run page: broken target");
  const histLatest = (await (await fetch(base + "api/v1/runs?project=hist&limit=1")).json()).runs[0];
  await nav(`#/run/${histLatest.id}`, "run");
  const broken = await page.$$eval("#targets ul.broken li", (lis) => lis.map((l) => l.dataset.benchmark + ": " + l.innerText));
  check(broken.length === 1 && broken[0].startsWith("step:") && /< 1\.100 µs/.test(broken[0]), "the step target is broken", broken);
  await shot("run-targets");

  // ---- trend
  step("trend chart");
  await nav("#/trend?project=hist&benchmark=step", "trend");
  await page.waitForSelector("#trend-chart canvas");
  const markers = await page.$$("#trend-chart .cp-marker");
  check(markers.length === 1, "one change point marker on the step chart", markers.length);
  const markerRun = markers.length ? await markers[0].getAttribute("data-run") : null;
  const expectRun = (await (await fetch(base + "api/v1/runs?project=hist&limit=100")).json()).runs.find((r) => r.commit === "10090075");
  check(expectRun && markerRun === String(expectRun.id), "the marker is at run 9 of the history (commit 10090075)", markerRun);
  const label = markers.length ? await markers[0].textContent() : "";
  check(/\+19\.9%/.test(label), "the marker says +19.9%", label);
  // the marker lies inside the plot, between runs 8 and 9
  const box = await page.$eval("#trend-chart .u-over", (o) => o.getBoundingClientRect().toJSON());
  const mbox = markers.length ? await markers[0].boundingBox() : null;
  check(mbox && mbox.x > box.x + box.width * 0.55 && mbox.x < box.x + box.width * 0.75, "marker position is between runs 8 and 9", { mbox, box });
  // hover on the last point: the legend and the tooltip show its value in human units
  await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
  await page.waitForSelector("#trend-chart .chart-tip:not([hidden])");
  const tip = await page.textContent("#trend-chart .chart-tip");
  check(/^1\.199 µs/.test(tip), "hover shows the value (1.199 µs)", tip);
  const legend = await page.$$eval("#trend-chart .u-legend .u-value", (els) => els.map((e) => e.textContent));
  check(legend.some((v) => /1\.199 µs/.test(v)), "legend shows the hovered value", legend);
  await shot("trend");

  step("trend: log scale");
  await page.check("#log-scale");
  await page.waitForSelector('#trend-chart[data-scale="log"] canvas');
  const logMarkers = await page.$$("#trend-chart .cp-marker");
  check(logMarkers.length === 1, "log scale: the marker is still there", logMarkers.length);
  const distr = await page.$eval("#trend-chart", (b) => b._uplot && b._uplot.scales.y.distr);
  check(distr === 3, "log scale: y axis is logarithmic", distr);
  await shot("trend-log");

  step("trend: flat series");
  await nav("#/trend?project=hist&benchmark=flat", "trend");
  await page.waitForSelector("#trend-chart canvas");
  check((await page.$$("#trend-chart .cp-marker")).length === 0, "no marker on the flat series");

  // ---- regressions and triage
  step("regressions list");
  await nav("#/regressions?project=hist", "regressions");
  const regs = await page.$$eval("#regressions-table tbody tr", (trs) => trs.map((t) => t.dataset.benchmark + ":" + t.dataset.status));
  check(JSON.stringify(regs.slice().sort()) === '["step:open","tput:open"]', "two open regressions: step and tput", regs);
  const stepReg = await page.$eval('#regressions-table tr[data-benchmark="step"]', (t) => ({ id: t.dataset.id, text: t.innerText }));
  check(/\+19\.9\d%/.test(stepReg.text) && /1\.000 µs → 1\.200 µs/.test(stepReg.text), "step: +19.9%, 1.000 µs → 1.200 µs", stepReg.text);
  const tputText = await page.$eval('#regressions-table tr[data-benchmark="tput"]', (t) => t.innerText);
  check(/999\.4 \/s → 849\.4 \/s/.test(tputText), "tput in /s", tputText);
  await shot("regressions");

  step("triage without a token is refused");
  await page.fill("#token", "");
  await page.click(`#regressions-table tr[data-id="1"] button[data-status="acknowledged"]`);
  const noTok = await page.textContent("#triage-msg");
  check(/token/i.test(noTok), "asks for a token", noTok);

  if (!env.QBDB_TOKEN) {
    console.log("  SKIP  triage with an admin token: `qbdb token create --scope admin` is not available in this qbdb");
  } else {
    step("triage with a bad token");
    await page.fill("#token", "not-a-token");
    await page.click(`#regressions-table tr[data-id="1"] button[data-status="acknowledged"]`);
    await page.waitForSelector("#triage-msg .error");
    const bad = await page.textContent("#triage-msg");
    check(/401|unauthorized/i.test(bad), "a bad token gets 401", bad);
    const still = await getJson(base + "api/v1/regressions?all=true");
    check(still.body.find((r) => r.id === 1).status === "open", "nothing changed");

    step("triage regression 1 with an admin token");
    await page.fill("#token", env.QBDB_TOKEN);
    await page.fill(`#regressions-table tr[data-id="1"] .note-input`, "bigger buffers, expected");
    await page.click(`#regressions-table tr[data-id="1"] button[data-status="acknowledged"]`);
    await page.waitForSelector(`#regressions-table tr[data-id="1"][data-status="acknowledged"]`);
    const msg = await page.textContent("#triage-msg");
    check(/#1 is now acknowledged/.test(msg), "the page says so", msg);
    const after = await getJson(base + "api/v1/regressions?all=true");
    const rec = Array.isArray(after.body) ? after.body.find((r) => r.id === 1) : null;
    check(rec && rec.status === "acknowledged" && rec.note === "bigger buffers, expected", "the API has regression 1 acknowledged with the note", rec);
    await shot("regressions-triaged");
    await nav("#/regressions?project=hist", "regressions");
    const open = await page.$$eval("#regressions-table tbody tr", (trs) => trs.map((t) => t.dataset.benchmark));
    check(JSON.stringify(open) === '["tput"]', "the open list now has tput only", open);
  }

  check(problems.length === 0, "no page errors or console errors", problems);
  problems.length = 0;

  // ---- escaping: a hostile name stays text (the API answers 404 for it)
  step("strings are escaped");
  await nav("#/trend?benchmark=" + encodeURIComponent("<img src=x onerror=alert(1)>"), "trend");
  const injected = await page.$$("main img");
  check(injected.length === 0, "a benchmark name with HTML is not parsed as HTML");
  const shown = await page.textContent("main .error");
  check(shown.includes("<img src=x onerror=alert(1)>") || /not_found|404/.test(shown), "the error is shown as text", shown);
  check(problems.filter((p) => !/status of 404/.test(p)).length === 0, "no page errors", problems);
  check(foreign.length === 0, "no request left " + origin, foreign);

  // ---- a private server: `--public-read no` (a second server over the same database)
  if (!env.QBDB_WEB_URL && env.QBDB_TOKEN) {
    step("--public-read no: the page asks for a token, then reads with it");
    const priv = await startServer(["--public-read", "no"]);
    try {
      const anon = await getJson(priv.url + "api/v1/runs");
      check(anon.status === 401, "the API refuses an anonymous read", anon.status);
      const pctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      pctx.setDefaultTimeout(WAIT);
      const ppage = await pctx.newPage();
      const perrors = [];
      ppage.on("pageerror", (e) => perrors.push("page error: " + e.message));
      await ppage.goto(priv.url + "#/runs");
      await ppage.waitForSelector("#need-token", { timeout: WAIT });
      const hint = await ppage.textContent("#need-token");
      check(/token/i.test(hint), "the runs page says a token is needed", hint);
      check((await ppage.$$("#runs-table tbody tr")).length === 0, "no runs shown without a token");
      await ppage.screenshot({ path: join(SHOTS, "private-needs-token.png"), fullPage: true });
      await ppage.fill("#token", env.QBDB_TOKEN);
      await ppage.dispatchEvent("#token", "change");
      await ppage.waitForSelector("#runs-table tbody tr", { timeout: WAIT });
      const n = (await ppage.$$("#runs-table tbody tr")).length;
      check(n === 16, "with the token the 16 runs are listed", n);
      await ppage.screenshot({ path: join(SHOTS, "private-with-token.png"), fullPage: true });
      check(perrors.length === 0, "no page errors on the private server", perrors);
      await pctx.close();
    } finally {
      await stopServer(priv);
    }
  }

  if (env.DASH_DB && !env.QBDB_WEB_URL) await dashboardTests();

  // ---- a drift, last (its runs would change the counts above): uploaded through the API
  // (project "creep"), reported once, drawn on the chart
  if (env.QBDB_TOKEN && env.DRIFT_DIR) {
    step("trend: a slow drift is one dashed line");
    problems.length = 0; /* the 404 the escaping step asked for */
    const files = readdirSync(env.DRIFT_DIR).filter((f) => f.endsWith(".jsonl")).sort();
    let stored = 0;
    for (const f of files) {
      const r = await fetch(base + "api/v1/runs?format=native", {
        method: "POST",
        headers: { Authorization: "Bearer " + env.QBDB_TOKEN },
        body: readFileSync(join(env.DRIFT_DIR, f)),
      });
      stored += r.status === 201 ? 1 : 0;
    }
    check(stored === 150 && files.length === 150, "150 drift runs uploaded", stored);
    await nav("#/trend?project=creep&benchmark=slow_creep", "trend");
    await page.waitForSelector("#trend-chart canvas");
    const drawn = await page.$eval("#trend-chart", (b) => ({
      count: b.dataset.drifts,
      labels: b._uplot.series.map((x) => x.label).filter((l) => /^drift/.test(l)),
    }));
    const rows = await page.$$eval("table.drifts tbody tr", (trs) => trs.map((t) => t.innerText));
    check(rows.length === 1 && drawn.count === "1" && drawn.labels.length === 1 && /\+\d/.test(drawn.labels[0]),
      "one drift in the table and one dashed drift line on the chart", { rows, drawn });
    const cpm = (await page.$$("#trend-chart .cp-marker")).length;
    check(cpm <= 1, "no staircase of change points on the drift (at most one marker)", cpm);
    await shot("trend-drift");
    await (await page.$("#trend-chart")).screenshot({ path: join(SHOTS, "trend-drift-chart.png") });
    console.log("  screenshot " + join(SHOTS, "trend-drift-chart.png"));
    check(problems.length === 0, "no page errors or console errors", problems);
  }
}

// ---- the dashboard, family, trend, compare and run views on a realistic project: a second
// server over the database run.sh made with tests/web/gen_db.py (150 benchmarks x 200 runs, a
// second machine and a second branch, a planted step of each severity, a repo_url)
function cli(args) {
  const r = spawnSync(env.QBDB, args, { env: Object.assign({}, process.env, { QBDB_DB: env.DASH_DB }), encoding: "utf8" });
  if (r.status !== 0) throw new Error("qbdb " + args.join(" ") + ": exit " + r.status + ": " + r.stderr);
  return r.stdout;
}

async function dashboardTests() {
  const man = JSON.parse(readFileSync(join(env.DASH_DIR, "manifest.json"), "utf8"));
  const srv = await startServer([], env.DASH_DB);
  const base = srv.url;
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  ctx.setDefaultTimeout(WAIT);
  const page = await ctx.newPage();
  const problems = [];
  const foreign = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => m.type() === "error" && problems.push("console: " + m.text() + " " + JSON.stringify(m.location())));
  page.on("request", (r) => {
    if (!r.url().startsWith("http://127.0.0.1:") && !r.url().startsWith("data:")) foreign.push(r.url());
  });
  const shot = async (name) => {
    await page.screenshot({ path: join(SHOTS, name + ".png"), fullPage: true });
    console.log("  screenshot " + join(SHOTS, name + ".png"));
  };
  const ready = (name) => page.waitForFunction((n) => (document.body.dataset.ready || "").startsWith(n + ":"), name, { timeout: WAIT });
  const nav = async (hash, name) => {
    await page.evaluate(() => delete document.body.dataset.ready).catch(() => {});
    await page.goto(base + hash);
    await ready(name);
  };
  const api = async (path) => (await getJson(base + "api/v1/" + path)).body;
  const human = (v, unit) => page.evaluate(([v, u]) => window.qbdb.human(v, u), [v, unit]);
  const runs = (await api("runs?project=dash&limit=1000")).runs;
  const runOf = (commit, machine, branch) => runs.find((r) => r.commit === commit && r.machine === (machine || "m1") && r.branch === (branch || "main"));
  const stepRun = runOf(man.step_commit);
  const repoUrl = "https://git.example.org/team/dash";
  const trendApi = await api("trend?project=dash&benchmark=steps%2Fmajor&branch=main&machine=m1");
  const hasRepo = trendApi.repo_url === repoUrl;

  try {
    // ---- dashboard: the default view
    step("dashboard (the default view)");
    await page.goto(base);
    await ready("dashboard");
    check(/#\/dashboard\?project=dash/.test(page.url()), "the default view is the dashboard of the project", page.url());
    // counts (instructions, cycles: base unit "1") as core/units.c prints them (tests/core/test_units.c)
    const counts = [await human(9999, "1"), await human(123456, "1"), await human(1234567, "1"), await human(-2.5e9, "1")];
    check(counts.join("|") === "9999|123.5 K|1.235 M|-2.500 G", "instruction counts in human units, as the CLI prints them", counts);
    await page.waitForSelector("#spark-grid a.spark");
    const d = await api("dashboard?project=dash");
    const nCards = await page.$$eval("#spark-grid a.spark", (as) => as.length);
    check(nCards === d.series.length && nCards === man.benchmarks.length * 2, "one sparkline per series: " + man.benchmarks.length + " benchmarks x 2 machines", [nCards, d.series.length]);
    check((await page.$$eval("#spark-grid svg.spark-svg path.spark-line", (ps) => ps.filter((p) => (p.getAttribute("d") || "").length > 100).length)) === nCards, "every sparkline is drawn");
    // open regressions by severity: as the CLI lists them (open, on main)
    const cliRegs = JSON.parse(cli(["regressions", "--project", "dash", "--format", "json"])).filter((g) => g.kind === "regression" && g.status === "open" && g.branch === "main");
    const tiles = await page.$$eval("#dash-regressions a.sev-tile", (as) => Object.fromEntries(as.map((a) => [a.dataset.severity, Number(a.dataset.count)])));
    for (const sev of ["critical", "major", "moderate", "minor"]) {
      const want = cliRegs.filter((g) => g.severity === sev).length;
      check(tiles[sev] === want && want === Object.values(man.severities).filter((s) => s === sev).length, "open " + sev + " regressions: " + want + " (qbdb regressions)", tiles);
    }
    // the stepped series are marked: their open regression and the change point at the step's run
    for (const [name, sev] of Object.entries(man.severities)) {
      const card = await page.$eval(`#spark-grid a.spark[data-benchmark="${name}"][data-machine="m1"]`, (a) => ({
        open: a.dataset.open, cls: a.className, cps: Array.from(a.querySelectorAll(".spark-cp")).map((l) => l.dataset.run), badge: (a.querySelector(".badge") || {}).textContent,
      }));
      check(card.open === sev && card.cls.includes("sev-" + sev) && card.badge === sev, name + ": marked as an open " + sev + " regression", card);
      check(card.cps.length === 1 && card.cps[0] === String(stepRun.id), name + ": one change point on its sparkline, at run #" + stepRun.id + " (commit " + man.step_commit.slice(0, 8) + ")", card.cps);
    }
    const flat = await page.$eval('#spark-grid a.spark[data-benchmark="sort/n=100"][data-machine="m1"]', (a) => ({ open: a.dataset.open, cps: a.querySelectorAll(".spark-cp").length }));
    check(flat.open === "" && flat.cps === 0, "sort/n=100: no regression, no change point", flat);
    const letter = (await page.textContent("#dash-grade .letter")).trim();
    check(d.grade && letter === d.grade.letter, "the grade is the latest run's (" + (d.grade && d.grade.letter) + ")", letter);
    check((await page.$$("#grade-trend circle.grade-dot")).length === d.grades.length && d.grades.length > 1, "the grade trend has a dot per graded run (" + d.grades.length + ")");
    const newest = await page.$$eval("table.dash-runs tbody tr", (trs) => trs.map((t) => t.dataset.commit));
    check(newest.length === d.runs.length && newest[0] === d.runs[0].commit && d.runs[0].id === d.latest_run.id, "newest runs: the latest first", newest.slice(0, 2));
    if (hasRepo) {
      const href = await page.$eval("#dash-latest a.commit-link", (a) => [a.getAttribute("href"), a.getAttribute("rel")]);
      check(href[0] === repoUrl + "/commit/" + d.latest_run.commit && href[1] === "noopener", "the latest run's commit links to repo_url/commit/sha", href);
    }
    const started = await page.$$eval("table.dash-runs tbody tr td:nth-child(2)", (tds) => tds.map((t) => t.textContent));
    const mainText = await page.innerText("main");
    check(started.length === d.runs.length && started.every((x) => /^\d{4}-\d\d-\d\d \d\d:\d\dZ$/.test(x)) &&
      !/\b\d{1,2}\/\d{1,2}\/\d{2,4}\b|\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d/.test(mainText), "dates are ISO, none in a locale format", started.slice(0, 2));
    await shot("dashboard");

    step("dashboard: search and filters");
    await page.fill("#bench-search", "sort/");
    let shown = await page.$$eval("#spark-grid a.spark:not([hidden])", (as) => Array.from(new Set(as.map((a) => a.dataset.benchmark))).sort());
    const wantSort = man.benchmarks.filter((b) => b.includes("sort/"));
    check(JSON.stringify(shown) === JSON.stringify(wantSort.slice().sort()), "typing sort/ leaves the sort family", shown);
    check((await page.textContent("#bench-count")) === wantSort.length * 2 + " of " + nCards + " series", "the count says so", await page.textContent("#bench-count"));
    await page.fill("#bench-search", "steps cri");
    shown = await page.$$eval("#spark-grid a.spark:not([hidden])", (as) => Array.from(new Set(as.map((a) => a.dataset.benchmark))).sort());
    check(JSON.stringify(shown) === '["steps/critical"]', "two words: both must match (steps cri)", shown);
    check(/[?&]q=steps\+cri(&|$)/.test(page.url()), "the address keeps the search (q=steps+cri)", page.url());
    await page.fill("#bench-search", "");
    await page.check("#only-regressed");
    shown = await page.$$eval("#spark-grid a.spark:not([hidden])", (as) => as.map((a) => a.dataset.benchmark + "@" + a.dataset.machine).sort());
    check(JSON.stringify(shown) === JSON.stringify(Object.keys(man.severities).map((n) => n + "@m1").sort()), "only open regressions: the four stepped series on m1", shown);
    await page.uncheck("#only-regressed");
    check(!/[?&](q|regressed)=/.test(page.url()), "cleared filters leave the address", page.url());

    step("dashboard: families");
    const fam = await page.$$eval('#spark-grid section.family[data-family="sort"] a.spark', (as) => as.map((a) => a.dataset.benchmark + "@" + a.dataset.machine));
    check(JSON.stringify(fam) === JSON.stringify(["sort/n=100@m1", "sort/n=100@m2", "sort/n=1000@m1", "sort/n=1000@m2", "sort/n=10000@m1", "sort/n=10000@m2"]), "the sort family groups its three sizes, smallest first", fam);
    const tp = await page.$$eval('#spark-grid section.family[data-family="test_parse"] a.spark', (as) => Array.from(new Set(as.map((a) => a.dataset.benchmark))).sort());
    check(JSON.stringify(tp) === '["test_parse[10000]","test_parse[1000]","test_parse[100]"]', "test_parse[100..10000] is one family", tp);
    await page.fill("#bench-search", "hash");
    const famShown = await page.$$eval("#spark-grid section.family:not([hidden])", (ss) => ss.map((s) => s.dataset.family));
    check(JSON.stringify(famShown) === '["hash"]', "filtering hides the families with nothing left", famShown);
    await shot("dashboard-search");
    await page.uncheck("#group-family");
    check((await page.$$("#spark-grid section.family")).length === 0, "without grouping: one plain grid");
    await page.check("#group-family");

    // ---- family view, with the scaling fit when the server has GET /scaling
    step("family view");
    await page.fill("#bench-search", "");
    await page.evaluate(() => delete document.body.dataset.ready);
    await page.click('section.family[data-family="sort"] a.family-link');
    await ready("family");
    await page.waitForSelector("#family-grid a.spark");
    const members = await page.$$eval("#family-grid a.spark", (as) => as.map((a) => a.dataset.benchmark));
    check(JSON.stringify(members) === '["sort/n=100","sort/n=1000","sort/n=10000"]', "its members in size order", members);
    const routes = Object.keys((await api("openapi.json")).paths);
    if (routes.includes("/api/v1/scaling")) {
      await page.waitForSelector("#scaling-chart canvas");
      const best = await page.$eval("#scaling", (s) => s.dataset.best);
      const lastRun = d.series.find((s) => s.benchmark === "sort/n=10000" && s.machine === "m1").points.slice(-1)[0][0];
      const want = JSON.parse(cli(["scaling", "--project", "dash", "--format", "json", "sort", String(lastRun)]));
      check(best === want.best, "the best fit is qbdb scaling's (" + want.best + ")", best);
    } else {
      const none = await page.textContent("#scaling-none");
      check(/no GET \/api\/v1\/scaling/.test(none), "no scaling endpoint: the family without the fit", none);
    }
    await shot("family");

    // ---- trend: intervals, band, change point, overlays, x by commit, commit links
    step("trend: intervals, noise band, overlays");
    await nav("#/trend?project=dash&benchmark=steps%2Fmajor&branch=main&machine=m1", "trend");
    await page.waitForSelector("#trend-chart canvas");
    const marker = await page.$$eval("#trend-chart .cp-marker", (ms) => ms.map((m) => m.dataset.commit));
    check(marker.length === 1 && marker[0] === man.step_commit, "one change point, at the step's commit " + man.step_commit.slice(0, 8), marker);
    const withIv = trendApi.points.filter((p) => p.lo != null && p.hi != null).length;
    const whiskers = await page.$eval("#trend-chart", (b) => Number(b.dataset.whiskers));
    check(withIv === trendApi.points.length && whiskers === withIv, "a whisker per point with an interval (" + withIv + ")", whiskers);
    if (trendApi.segment) {
      const seg = await page.textContent("#trend-segment");
      const c = await human(trendApi.segment.centre, "ns"), lo = await human(trendApi.segment.low, "ns"), hi = await human(trendApi.segment.high, "ns");
      check(seg.includes("centre " + c) && seg.includes(lo + " – " + hi) && seg.includes("#" + trendApi.segment.from_run_id), "the current segment's band: " + lo + " – " + hi + " from run #" + trendApi.segment.from_run_id, seg);
      check(trendApi.segment.from_run_id === stepRun.id, "the current segment starts at the step", trendApi.segment.from_run_id);
      check((await page.$eval("#trend-chart", (b) => b.dataset.band)) === "1", "the band is drawn");
    } else check(false, "GET /trend has a segment");
    const ovs = await page.$$eval("input.overlay", (is) => is.map((i) => i.dataset.overlay).sort());
    check(JSON.stringify(ovs) === '["branch:feature","machine:m2"]', "overlays offered: branch feature and machine m2", ovs);
    for (const o of ovs) await page.check(`input.overlay[data-overlay="${o}"]`);
    await page.waitForSelector('#trend-chart[data-overlays="2"] canvas');
    const labels = await page.$eval("#trend-chart", (b) => b._uplot.series.map((s) => s.label));
    check(labels.includes("branch feature") && labels.includes("machine m2"), "both overlays are series of the chart", labels);
    check(/overlay=branch(%3A|:)feature(%2C|,)machine(%3A|:)m2/.test(page.url()), "the address keeps the overlays", page.url());
    if (hasRepo) {
      const a = await page.$eval(`table.cps tr[data-run="${stepRun.id}"] a.commit-link`, (a) => [a.getAttribute("href"), a.getAttribute("rel")]);
      check(a[0] === repoUrl + "/commit/" + man.step_commit && a[1] === "noopener", "the change point's commit links to repo_url/commit/" + man.step_commit.slice(0, 8), a);
    }
    const unsafe = await page.evaluate(() => [window.qbdb.commitUrl("javascript:alert(1)//", "abcd1234"), window.qbdb.commitUrl("data:text/html,x", "abcd1234"),
      window.qbdb.commitUrl("https://h/r", "abcd\"><x"), window.qbdb.commitUrl("https://h/r/", "abcd1234")]);
    check(unsafe[0] === null && unsafe[1] === null && unsafe[2] === null && unsafe[3] === "https://h/r/commit/abcd1234", "commit links only from http(s) URLs and hex shas", unsafe);
    const times = await page.$$eval("table.points tbody tr td:nth-child(3)", (tds) => tds.map((t) => t.textContent));
    check(times.length > 0 && times.every((x) => /^\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?Z$/.test(x)), "dates are ISO (2026-10-01 12:00Z)", times.slice(0, 3));
    const ticks = await page.$eval("#trend-chart", (b) => b._xticks || []);
    check(ticks.length >= 3 && ticks.every((x) => /^\d{4}-\d\d-\d\d$/.test(x)), "the time axis is labelled with ISO dates", ticks);
    await shot("trend-overlays");

    step("trend: x by commit order");
    await page.selectOption("#x-axis", "commit");
    await page.waitForSelector('#trend-chart[data-x="commit"][data-overlays="2"] canvas');
    const xs = await page.$eval("#trend-chart", (b) => b._uplot.data[0].filter((x) => Number.isInteger(x)).length);
    check(xs === trendApi.points.length, "x is the commit index: one whole-number x per run", xs);
    const m2 = await page.$eval("#trend-chart", (b) => b.querySelector(".cp-marker").dataset.commit);
    check(m2 === man.step_commit, "the change point is still at its commit", m2);
    check(/x=commit/.test(page.url()), "the address keeps x=commit", page.url());
    await shot("trend-commit-order");

    // ---- compare: ± as the CLI prints it, the distributions of a row, changed rows only
    step("compare: ± as the CLI, distributions");
    const prev = runs.filter((r) => r.branch === "main" && r.machine === "m1" && r.id < stepRun.id).sort((a, b) => b.id - a.id)[0];
    await nav(`#/compare?base=${prev.id}&head=${stepRun.id}`, "compare");
    const cliText = cli(["compare", String(prev.id), String(stepRun.id)]);
    const cliRows = {};
    for (const line of cliText.split("\n")) {
      const m = /^(\S+)\s+latency\s+(.+? ± [\d.]+%)\s+(.+? ± [\d.]+%)\s/.exec(line);
      if (m) cliRows[m[1]] = [m[2].trim(), m[3].trim()];
    }
    const pageRows = await page.$$eval("#compare-table tbody tr:not(.dist-row)", (trs) => trs.map((t) => [t.dataset.benchmark, t.children[2].textContent.trim(), t.children[3].textContent.trim()]));
    const mism = pageRows.filter(([b, x, y]) => !cliRows[b] || cliRows[b][0] !== x || cliRows[b][1] !== y);
    check(pageRows.length === man.benchmarks.length && mism.length === 0, "every row's base and head ± is the CLI's (" + pageRows.length + " rows)", mism.slice(0, 3).map((r) => [r, cliRows[r[0]]]));
    await page.click('#compare-table tr[data-benchmark="steps/major"] button.dist-toggle');
    await page.waitForSelector('#compare-table tr.dist-row[data-benchmark="steps/major"][data-ready="1"]');
    for (const [side, run] of [["base", prev], ["head", stepRun]]) {
      const s = await api("samples?" + new URLSearchParams({ project: "dash", run: String(run.id), benchmark: "steps/major", metric: "latency", machine: "m1" }));
      const med = await page.$eval(`tr.dist-row g.box-${side} line.median`, (l) => Number(l.dataset.median));
      const dots = await page.$$eval(`tr.dist-row g.box-${side} circle.sample`, (cs) => cs.length);
      const txt = await page.$eval(`tr.dist-row .dist-side[data-side=${side}] .stat[data-stat=median]`, (e) => e.textContent);
      check(med === s.summary.median && txt === "median " + (await human(s.summary.median, "ns")), side + ": the box plot's median is /samples' (" + txt + ")", [med, s.summary.median, txt]);
      check(dots === s.samples.length && dots === 10, side + ": a dot per raw sample (" + s.samples.length + ")", dots);
    }
    await shot("compare-distribution");
    await page.check("#only-changed");
    const changed = await page.$$eval("#compare-table tbody tr:not(.dist-row)", (trs) => trs.map((t) => t.dataset.verdict));
    const cliChanged = JSON.parse(cli(["compare", "--format", "json", String(prev.id), String(stepRun.id)])).rows.filter((r) => r.verdict !== "unchanged").length;
    check(changed.length === cliChanged && !changed.includes("unchanged"), "only changed rows: " + cliChanged, changed);

    // ---- run view
    step("run view (dash)");
    await nav(`#/run/${stepRun.id}`, "run");
    const ci = await page.$$eval("table.bench td.ci", (tds) => tds.map((t) => t.dataset.ciSource || ""));
    check(ci.length === man.benchmarks.length && ci.every((s) => s === "samples"), "native runs store no CI: every 95% CI is computed from the samples", Array.from(new Set(ci)));
    await shot("run-dash");

    step("regressions (dash)");
    await nav("#/regressions?project=dash", "regressions");
    const regRows = await page.$$eval("#regressions-table tbody tr", (trs) => trs.map((t) => t.dataset.benchmark + ":" + t.className.match(/sev-(\w+)/)[1]).sort());
    const wantRegs = Object.entries(man.severities).map(([n, sev]) => n + ":" + sev).sort();
    check(JSON.stringify(regRows) === JSON.stringify(wantRegs), "the four planted regressions, each of its severity", regRows);
    await shot("regressions-dash");

    // each record's newest bisect session (tests/web/add_bisects.py): the culprits linked with the
    // project's repo_url, their change and subject; running; not reproduced; none
    step("regressions: bisect sessions (dash)");
    const bis = JSON.parse(readFileSync(join(env.DASH_DIR, "bisects.json"), "utf8"));
    const bisectOf = (bench) =>
      page.$$eval(`#regressions-table tr[data-benchmark="${bench}"] .bisect`, (ds) => ds.map((d) => ({
        id: d.dataset.bisect, outcome: d.dataset.outcome, text: d.innerText.replace(/\s+/g, " ").trim(),
        culprits: Array.from(d.querySelectorAll(".culprit")).map((c) => ({
          commit: c.dataset.commit, href: (c.querySelector("a.commit-link") || {}).href || null,
          change: (c.querySelector(".change") || {}).textContent, subject: (c.querySelector(".subject") || {}).textContent || null,
          unconfirmed: c.classList.contains("unconfirmed") })) })));
    const major = await bisectOf("steps/major"), want = bis["steps/major"];
    check(major.length === 1 && major[0].id === String(want.id) && major[0].outcome === "found", "steps/major: its session #" + want.id + ", found", major);
    const cs = (major[0] || {}).culprits || [];
    check(cs.length === 2, "two steps found, in history order", cs);
    const confirmed = cs[1] || {};
    check(confirmed.commit === want.culprits[1].after && confirmed.subject === want.culprits[1].subject && confirmed.change === "+14.8%" && !confirmed.unconfirmed,
      "the culprit: its commit, subject and change (+14.8%)", confirmed);
    if (hasRepo) check(confirmed.href === repoUrl + "/commit/" + want.culprits[1].after, "the culprit links to the project's repository", confirmed.href);
    check(cs[0] && cs[0].unconfirmed && cs[0].change === "+0.6%" && /not confirmed/.test(major[0].text), "the step the budget did not confirm says so", cs[0]);
    const running = await bisectOf("steps/critical");
    check(running.length === 1 && running[0].text === "bisect #" + bis["steps/critical"].id + " running" && running[0].culprits.length === 0, "steps/critical: bisect running", running);
    const notRep = await bisectOf("steps/moderate");
    check(notRep.length === 1 && notRep[0].text === "bisect #" + bis["steps/moderate"].id + ": not reproduced", "steps/moderate: not reproduced", notRep);
    check((await bisectOf("steps/minor")).length === 0, "steps/minor: no session, nothing shown");
    // the API says the same
    const apiMajor = (await api("regressions?project=dash")).find((g) => g.benchmark === "steps/major");
    check(apiMajor && apiMajor.bisect && apiMajor.bisect.id === want.id && apiMajor.bisect.culprits[1].after === want.culprits[1].after, "GET /regressions: the record's bisect", apiMajor && apiMajor.bisect);
    await (await page.$("#regressions-table")).screenshot({ path: join(SHOTS, "regressions-bisect.png") });
    console.log("  screenshot " + join(SHOTS, "regressions-bisect.png"));

    check(problems.length === 0, "no page or console errors on the dashboard views", problems);
    check(foreign.length === 0, "no request left 127.0.0.1", foreign);
  } finally {
    await ctx.close();
    await stopServer(srv);
  }
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  console.log("FAIL  " + (e && e.stack ? e.stack : e));
  failures++;
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) {
    await stopServer(server);
    if (failures) console.log("server log:\n" + server.log());
  }
}
if (failures) {
  console.log(failures + " failure(s)");
  exitCode = 1;
} else console.log("ok");
process.exit(exitCode);
