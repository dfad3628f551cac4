// Drives Debian's headless Chromium through a plan of steps read as JSON from stdin, and prints
// one JSON object: {"results": {name: value}, "errors": [page errors and console errors]}.
// Steps: {"viewport": {width, height}}, {"goto": url}, {"waitFor": selector, "timeout"?},
// {"waitForFunction": js}, {"fill": selector, "value": text}, {"click": selector},
// {"press": key}, {"eval": js expression, "as": name}, {"screenshot": path}.
"use strict";
const path = require("path");
const puppeteer = require(path.join(process.env.LEADWIRE_TOOLS, "node_modules", "puppeteer-core"));

async function run(plan) {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none"],
  });
  const results = {};
  const errors = [];
  try {
    const page = await browser.newPage();
    page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
    // A 404 from an endpoint the server lacks is expected (the console shows "not available"):
    // Chromium logs every failed fetch, so server errors are caught from the responses instead.
    page.on("console", (message) => {
      if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
        errors.push(`console: ${message.text()}`);
      }
    });
    page.on("response", (response) => {
      if (response.status() >= 500) errors.push(`HTTP ${response.status()} ${response.url()}`);
    });
    await page.setViewport({ width: 1366, height: 900 });
    for (const step of plan) {
      const timeout = step.timeout || 60000;
      if (step.viewport) await page.setViewport(step.viewport);
      else if (step.goto) {
        // A goto that changes only the hash stays in the same document: mark the page first, so
        // a following wait for main[data-state=ready] waits for the new route, not the old one.
        await page.evaluate(() => document.querySelector("main")?.setAttribute("data-state", "navigating"));
        await page.goto(step.goto, { waitUntil: "load" });
      }
      else if (step.waitFor) await page.waitForSelector(step.waitFor, { timeout });
      else if (step.waitForFunction) await page.waitForFunction(step.waitForFunction, { timeout });
      else if (step.fill) {
        await page.$eval(step.fill, (el, value) => {
          el.value = value;
          el.dispatchEvent(new Event("input", { bubbles: true }));
        }, step.value);
      } else if (step.click) await page.click(step.click);
      else if (step.press) await page.keyboard.press(step.press);
      else if (step.eval) results[step.as] = await page.evaluate(step.eval);
      else if (step.screenshot) await page.screenshot({ path: step.screenshot, fullPage: true });
      else throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
  } finally {
    await browser.close();
  }
  return { results, errors };
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  run(JSON.parse(input)).then(
    (outcome) => process.stdout.write(JSON.stringify(outcome)),
    (error) => {
      process.stderr.write(String(error && error.stack ? error.stack : error));
      process.exit(1);
    },
  );
});
