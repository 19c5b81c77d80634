// Reads pages in Debian's chromium as tests/addon/test_accessibility.py asks:
// axe-core's WCAG 2.1 A and AA rules, and whether anything is cut or needs
// sideways scrolling at the given viewport (320 px; 200 % zoom is half the
// window's width in CSS pixels at a device scale of 2, which is what a
// browser's zoom does).
//
//   node check.mjs MODULES JOB.json   ->   JSON results on stdout
//
// MODULES is the folder scripts/setup installed axe-core and playwright-core
// into (ESM resolves imports from this file's folder, so they are required
// from there). JOB: {"chromium": path, "checks": [{"name", "url", "width",
// "height", "scale", "axe"}]}.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const [modules, jobFile] = process.argv.slice(2);
const require = createRequire(path.join(modules, "node_modules", "noop.js"));
const { chromium } = require("playwright-core");
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
const job = JSON.parse(readFileSync(jobFile, "utf8"));
const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

// Runs in the page: what is wider than the viewport, what a box cuts off, and
// which element shows a state by colour (a class s-, b- or n-) but has no
// words in it.
function layoutProblems() {
  const problems = [];
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth > width) {
    problems.push(`the page is ${root.scrollWidth} px wide in a ${width} px viewport`);
  }
  const name = (el) => {
    const classes = el.classList.length ? "." + [...el.classList].join(".") : "";
    return `${el.tagName.toLowerCase()}${classes} "${(el.textContent || "").trim().slice(0, 40)}"`;
  };
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 0.5 || box.left < -0.5) {
      problems.push(`${name(el)} reaches ${Math.round(box.left)}..${Math.round(box.right)} px`);
    }
    const style = getComputedStyle(el);
    if (style.overflowX !== "visible" && el.scrollWidth > el.clientWidth + 1) {
      problems.push(`${name(el)} cuts ${el.scrollWidth - el.clientWidth} px sideways`);
    }
    if (style.overflowY !== "visible" && el.scrollHeight > el.clientHeight + 1) {
      problems.push(`${name(el)} cuts ${el.scrollHeight - el.clientHeight} px at the bottom`);
    }
    if (style.textOverflow === "ellipsis") {
      problems.push(`${name(el)} may end in an ellipsis`);
    }
    const coloured = [...el.classList].some((c) => /^(s|b|n)-/.test(c));
    if (coloured && !(el.innerText || "").trim()) {
      problems.push(`${name(el)} shows a state by colour alone`);
    }
  }
  return problems;
}

const browser = await chromium.launch({
  executablePath: job.chromium,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
});
const results = [];
try {
  for (const check of job.checks) {
    const context = await browser.newContext({
      // The page's CSP allows no script; axe is injected all the same.
      bypassCSP: true,
      viewport: { width: check.width, height: check.height },
      deviceScaleFactor: check.scale,
      isMobile: check.width < 600,
      locale: "sv-SE",
      timezoneId: "Europe/Stockholm",
    });
    const page = await context.newPage();
    await page.goto(check.url, { waitUntil: "load" });
    const result = { name: check.name, violations: [], layout: [] };
    result.layout = await page.evaluate(layoutProblems);
    if (check.axe) {
      await page.addScriptTag({ content: axeSource });
      const found = await page.evaluate(
        (tags) => window.axe.run(document, { runOnly: { type: "tag", values: tags } }),
        WCAG_TAGS,
      );
      result.rules = found.passes.length + found.violations.length;
      result.violations = found.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({ target: n.target.join(" "), summary: n.failureSummary })),
      }));
    }
    results.push(result);
    await context.close();
  }
} finally {
  await browser.close();
}
process.stdout.write(JSON.stringify(results));
