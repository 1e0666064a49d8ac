// Copies uPlot's browser build from node_modules into web/vendor/ (committed, so that the C
// build embeds the page without npm). Run after changing uPlot's version: `npm run vendor`.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const web = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(web, "node_modules", "uplot");
const out = join(web, "vendor");
mkdirSync(out, { recursive: true });
for (const [from, to] of [
  ["dist/uPlot.iife.min.js", "uPlot.iife.min.js"],
  ["dist/uPlot.min.css", "uPlot.min.css"],
  ["LICENSE", "uPlot.LICENSE.txt"],
]) {
  copyFileSync(join(src, from), join(out, to));
}
const version = JSON.parse(readFileSync(join(src, "package.json"), "utf8")).version;
console.log(`vendored uPlot ${version} into ${out}`);
