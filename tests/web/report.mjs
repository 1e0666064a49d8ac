// Browser test of the HTML report: opens `qbdb report --format html` (a file made by
// tests/web/report.sh from real ingests) in Debian's Chromium through playwright-core, checks that
// it shows what the JSON form of the same report says (sections, regression rows, one SVG chart
// per new change with the change marked, still-open rows, targets, scaling, configurations,
// recommendations), that it loads nothing but itself, and saves a screenshot.
//
// Environment (set by report.sh):
//   REPORT_HTML  the HTML report         REPORT_JSON  its JSON form (the same window)
//   WEB_DIR      web/ (for playwright-core)  SHOTS  where the screenshot goes
//   CHROMIUM     the browser (/usr/bin/chromium)
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const env = process.env;
const require = createRequire(join(env.WEB_DIR, "package.json"));
const { chromium } = require("playwright-core");

mkdirSync(env.SHOTS, { recursive: true });
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
const norm = (s) => (s || "").replace(/\s+/g, " ").trim();
const sha8 = (s) => (s || "?").slice(0, 8);
const pct = (v) => (v >= 0 ? "+" : "") + v.toFixed(1) + "%";

const want = JSON.parse(readFileSync(env.REPORT_JSON, "utf8"));
let browser = null;

async function main() {
  browser = await chromium.launch({
    executablePath: env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    timeout: 120000, // the launch, on a loaded machine
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run"],
  });
  const ctx = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  ctx.setDefaultTimeout(120000); // ms: a loaded 2-core machine; a wait that runs out names itself
  const page = await ctx.newPage();
  const problems = [];
  const requests = [];
  page.on("pageerror", (e) => problems.push("page error: " + e.message));
  page.on("console", (m) => m.type() === "error" && problems.push("console: " + m.text()));
  page.on("request", (r) => requests.push(r.url()));
  const url = pathToFileURL(env.REPORT_HTML).href;
  await page.goto(url, { waitUntil: "load" });

  step("the document");
  check((await page.title()).startsWith("qbdb report: all projects"), "title", await page.title());
  check(norm(await page.innerText("h1")) === "qbdb report: all projects", "heading");
  const meta = norm(await page.innerText(".meta"));
  check(meta.includes("new since report #1") && meta.includes("report #2"), "the window and the report id", meta);
  const headings = (await page.$$eval("h2", (hs) => hs.map((h) => h.textContent))).map(norm);
  const expected = ["Summary", "New regressions " + want.new_regressions.length,
    "New improvements " + want.new_improvements.length, "Still-open regressions " + want.open_regressions.length,
    "Broken targets " + want.broken_targets.length, "Trends", "Scaling", "Configurations", "Recommendations"];
  check(JSON.stringify(headings) === JSON.stringify(expected), "the sections, with their counts", headings);
  check(want.new_regressions.length === 1 && want.open_regressions.length === 2,
    "the data: one new regression, two still open", [want.new_regressions.length, want.open_regressions.length]);

  step("summary");
  const card = norm(await page.innerText("#card-new"));
  check(card.startsWith(String(want.summary.new_regressions.total) + " new regression") && card.includes("1 major"),
    "the new-regressions card", card);
  const grades = await page.$$eval("table.grades tbody tr", (trs) => trs.map((t) => [...t.cells].map((c) => c.textContent.trim())));
  check(grades.length === want.summary.grades.length && grades.length === 4, "a grade per project, branch and machine", grades.length);
  for (const g of want.summary.grades) {
    const row = grades.find((r) => r[0] === g.project && r[1] === g.branch && r[2] === g.machine);
    check(row && row[3] === String(g.run_id) && row[5] === g.letter && row[4] === sha8(g.commit),
      "grade of " + g.project + "/" + g.branch + "/" + g.machine + ": " + g.letter + " at run " + g.run_id, row);
  }

  step("new regressions");
  const rows = await page.$$("#new-regressions tr.change.regression");
  check(rows.length === want.new_regressions.length, "one row per new regression", rows.length);
  for (const r of want.new_regressions) {
    const tr = await page.$(`#new-regressions tr.change.regression[data-id="${r.id}"]`);
    check(!!tr, "row of regression #" + r.id);
    if (!tr) continue;
    const text = norm(await tr.innerText());
    check(r.benchmark === "flat" && r.severity === "major" && r.commit === "100f00c3" && r.prev_commit === "100e00b6",
      "it is the known step: flat, major, from commit 100f00c3 (run 15 of the history)", [r.benchmark, r.severity, r.commit]);
    check(text.includes(r.benchmark + " " + r.metric), "benchmark and metric", text);
    check(text.includes(r.severity), "severity " + r.severity, text);
    check(text.includes(`run ${r.run_id} ${sha8(r.prev_commit)}..${sha8(r.commit)}`), "first bad run and commit range", text);
    check(text.includes(pct(r.change_pct)), "change " + pct(r.change_pct), text);
    check(text.includes("1.000 µs") && text.includes("1.149 µs"), "before and after with units", text);
    const svg = await tr.$("svg.spark");
    check(!!svg, "an SVG chart in the row");
    if (!svg) continue;
    const box = await svg.boundingBox();
    check(box && box.width > 100 && box.height > 20, "the chart is drawn", box);
    const n = await svg.$eval("polyline", (p) => p.getAttribute("points").trim().split(/\s+/).length);
    check(n === r.chart.values.length, "the chart has the " + r.chart.values.length + " points of the JSON", n);
    check((await svg.getAttribute("data-change-index")) === String(r.chart.change_index), "the change point is at index " +
      r.chart.change_index);
    check(!!(await svg.$("circle")) && !!(await svg.$("line.cp")), "the change point is marked");
    const title = norm(await svg.$eval("title", (t) => t.textContent));
    check(title.startsWith(r.benchmark + ":") && title.includes("run " + r.run_id), "the chart's title", title);
  }
  check(norm(await page.innerText("#new-improvements")).endsWith("None."), "no new improvement");

  step("still open");
  const open = await page.$$eval("#open-regressions tr.open.regression", (trs) => trs.map((t) => t.dataset.benchmark));
  check(JSON.stringify(open) === JSON.stringify(want.open_regressions.map((r) => r.benchmark)),
    "the still-open regressions, oldest first", open);
  check(JSON.stringify([...open].sort()) === '["step","tput"]', "the two steps of run 9", open);
  const openText = norm(await page.innerText("#open-regressions"));
  check(openText.includes("days") && openText.includes("10080068..10090075"), "their age and commit range", openText);
  check((await page.$$("#open-regressions svg")).length === 0, "no chart for still-open ones");

  step("targets, trends, scaling, configurations, recommendations");
  const target = norm(await page.innerText("#broken-targets tr.target"));
  check(target.includes("step latency") && target.includes("< 1.100 µs") && target.includes("of the last 5 runs"),
    "the broken target", target);
  const trends = norm(await page.innerText("#trends"));
  check(trends.includes(want.trends.series + " series"), "trend counts", trends);
  const fams = await page.$$eval("#scaling tr.family", (trs) => trs.map((t) => t.innerText.replace(/\s+/g, " ").trim()));
  check(fams.some((f) => f.startsWith("size latency") && f.includes("O(n log n)")), "size is O(n log n)", fams);
  check(fams.some((f) => f.startsWith("sort latency") && f.includes("rs/main/ci-box")), "criterion's sort family", fams);
  const conf = norm(await page.innerText("#configurations"));
  check(conf.includes("By tag net") && /rpc\/roundtrip latency lan 101\.0 µs lossy 401\.0 µs/.test(conf),
    "configurations: lan best, lossy worst", conf);
  const recs = (await page.$$eval("#recommendations li", (ls) => ls.map((l) => l.textContent))).map(norm);
  check(JSON.stringify(recs) === JSON.stringify(want.recommendations.map((r) => norm(r.text))),
    "the recommendations of the JSON", recs);
  check(recs.some((t) => t.startsWith("target step latency < 1.100 µs broken in 5 of the last 5 runs")),
    "the repeatedly broken target", recs);

  step("self-contained");
  check(requests.length === 1 && requests[0] === url, "the page loads nothing but itself", requests);
  check(problems.length === 0, "no page or console errors", problems);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  check(width <= 1200, "no horizontal scrolling at 1200 px", width);
  const shot = join(env.SHOTS, "report.png");
  await page.screenshot({ path: shot, fullPage: true });
  console.log("  screenshot " + shot);
}

let exitCode = 0;
try {
  await main();
} catch (e) {
  console.log("FAIL  " + (e && e.stack ? e.stack : e));
  failures++;
} finally {
  if (browser) await browser.close().catch(() => {});
}
if (failures) {
  console.log(failures + " failure(s)");
  exitCode = 1;
} else console.log("ok");
process.exit(exitCode);
