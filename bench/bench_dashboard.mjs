// bench/bench_dashboard.mjs URL LOADS PROJECT - run by bench/bench_dashboard.sh: loads
// URL#/dashboard?project=PROJECT LOADS times in headless Chromium, each in a new browser context
// (empty cache), and prints the time from navigation start to the first frame with every
// sparkline drawn (the page's document.body.dataset.drawn, performance.now() in a
// requestAnimationFrame after the view is in the document), with the /api/v1/dashboard request's
// own duration (Resource Timing).
import { createRequire } from "node:module";
import { join } from "node:path";

const [url, loadsArg, project] = process.argv.slice(2);
const loads = Number(loadsArg || 7);
const require = createRequire(join(process.env.WEB_DIR, "package.json"));
const { chromium } = require("playwright-core");

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run"],
});
const rows = [];
try {
  for (let i = 0; i < loads; i++) {
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await ctx.newPage();
    await page.goto(url + "#/dashboard?project=" + encodeURIComponent(project || "dash"));
    await page.waitForFunction(() => (document.body.dataset.drawn || "").startsWith("dashboard:"), null, { timeout: 120000 });
    const r = await page.evaluate(() => {
      const drawn = Number(document.body.dataset.drawn.split(":")[2]);
      const api = performance.getEntriesByType("resource").find((e) => /api\/v1\/dashboard/.test(e.name));
      const built = performance.getEntriesByName("qbdb:built").pop();
      const script = performance.getEntriesByName("qbdb:start").pop();
      return {
        drawn,
        scripts: script ? script.startTime : NaN,
        apiStart: api ? api.startTime : NaN,
        apiEnd: api ? api.responseEnd : NaN,
        built: built ? built.startTime : NaN,
        api: api ? api.duration : NaN,
        bytes: api ? api.transferSize || api.encodedBodySize : NaN,
        series: document.querySelectorAll("#spark-grid a.spark").length,
        lines: document.querySelectorAll("#spark-grid path.spark-line").length,
      };
    });
    if (r.series === 0 || r.lines !== r.series) throw new Error("load " + (i + 1) + ": " + r.lines + " sparklines drawn of " + r.series);
    rows.push(r);
    console.log(`load ${i + 1}: ${r.drawn.toFixed(0)} ms to the drawn dashboard (GET /dashboard ${r.api.toFixed(0)} ms, ${(r.bytes / 1024).toFixed(0)} KiB), ${r.series} sparklines` +
      ` [app.js running ${r.scripts.toFixed(0)}, /dashboard asked ${r.apiStart.toFixed(0)}, answered ${r.apiEnd.toFixed(0)}, view built ${r.built.toFixed(0)}, drawn ${r.drawn.toFixed(0)}]`);
    await ctx.close();
  }
} finally {
  await browser.close();
}
const med = (a) => {
  const s = a.slice().sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const d = rows.map((r) => r.drawn);
console.log(`dashboard of ${rows[0].series} series: first (cold) load ${d[0].toFixed(0)} ms; median of ${rows.length} loads ${med(d).toFixed(0)} ms ` +
  `(min ${Math.min(...d).toFixed(0)}, max ${Math.max(...d).toFixed(0)}); GET /api/v1/dashboard median ${med(rows.map((r) => r.api)).toFixed(0)} ms; target < 1000 ms`);
