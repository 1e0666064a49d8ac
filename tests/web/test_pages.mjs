// Browser test of the web page: drives Debian's Chromium through playwright-core against a real
// `qbdb serve` on a loopback port, over the database tests/web/run.sh made with `qbdb ingest`.
//
// Environment (set by run.sh):
//   QBDB        the qbdb binary            QBDB_DB   the database
//   WEB_DIR     web/ (for playwright-core)  SHOTS     where the screenshots go
//   CHROMIUM    the browser (/usr/bin/chromium)
//   QBDB_TOKEN  an admin token, or empty when `qbdb token create` is not available
//   QBDB_WEB_URL  optional: test a server that is already running instead of starting one
import { spawn } from "node:child_process";
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
async function startServer(extra = []) {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn(env.QBDB, ["serve", "--db", env.QBDB_DB, "--listen", "127.0.0.1:" + port, ...extra], {
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
      priv.proc.kill("SIGTERM");
      await new Promise((r) => {
        const t = setTimeout(() => (priv.proc.kill("SIGKILL"), r()), 5000);
        priv.proc.on("exit", () => (clearTimeout(t), r()));
        if (priv.proc.exitCode !== null) (clearTimeout(t), r());
      });
    }
  }

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

let exitCode = 0;
try {
  await main();
} catch (e) {
  console.log("FAIL  " + (e && e.stack ? e.stack : e));
  failures++;
} finally {
  if (browser) await browser.close().catch(() => {});
  if (server) {
    server.proc.kill("SIGTERM");
    await new Promise((r) => {
      const t = setTimeout(() => (server.proc.kill("SIGKILL"), r()), 5000);
      server.proc.on("exit", () => (clearTimeout(t), r()));
      if (server.proc.exitCode !== null) (clearTimeout(t), r());
    });
    if (failures) console.log("server log:\n" + server.log());
  }
}
if (failures) {
  console.log(failures + " failure(s)");
  exitCode = 1;
} else console.log("ok");
process.exit(exitCode);
