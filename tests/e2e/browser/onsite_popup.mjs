// leadwire.js in headless Chromium on a page of its own origin (a customer's shop): the visitor's
// id comes from analytics.js's localStorage key; the newest pop-up shows and Escape dismisses it;
// the next page shows the other one, keyboard focus stays inside it, and a click on its CTA reports
// onsite_clicked before following the link. Prints one JSON line per observation ({"kind":
// "first" | "escaped" | "dialog" | "focus" | "track" | "navigated" | "again" | "error" | "done"}).
//
// Usage: node onsite_popup.mjs '{"apiPort": 8787, "writeKey": "k", "userId": "u",
//                                "screenshot": "build/screenshots/onsite.png", "timeoutMs": 60000}'
import { createServer } from "node:http";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { emit, launchChromium } from "./chromium.mjs";

const options = JSON.parse(process.argv[2]);
const api = `http://127.0.0.1:${options.apiPort}/v1`;

// analytics.js keeps the user id in localStorage as a JSON string: the script must read it there.
const shop = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Acme shop</title>
<script>localStorage.setItem("ajs_user_id", ${JSON.stringify(JSON.stringify(options.userId))});</script>
<script src="${api}/leadwire.js" data-write-key="${options.writeKey}" async></script></head>
<body style="font-family:sans-serif;margin:2em"><h1>Acme shop</h1><p>Spring collection.</p>
<a href="/other">Other page</a></body></html>`;
const cart = `<!doctype html><html lang="en"><head><title>Your cart</title></head><body><h1>Your cart</h1></body></html>`;

const site = createServer((request, response) => {
  const body = request.url.startsWith("/cart") ? cart : shop;
  response.writeHead(200, { "content-type": "text/html" }).end(body);
});
await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
const siteUrl = `http://127.0.0.1:${site.address().port}/`;

const browser = await launchChromium();
let outcome = 1;
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1000, height: 700 });
  page.setDefaultTimeout(options.timeoutMs);
  page.on("pageerror", (error) => emit("error", { text: String(error) }));
  page.on("requestfinished", async (request) => {
    if (!request.url().startsWith(`${api}/track`) || request.method() !== "POST") return;
    const body = JSON.parse(request.postData());
    emit("track", {
      event: body.event,
      userId: body.userId ?? null,
      messageId: body.properties.message_id,
      status: request.response()?.status() ?? null,
      contentType: request.headers()["content-type"],
    });
  });
  const describe = (dialog) => dialog.evaluate((node) => ({
    modal: node.getAttribute("aria-modal"),
    title: document.getElementById(node.getAttribute("aria-labelledby")).textContent,
    body: document.getElementById(node.getAttribute("aria-describedby")).textContent,
    buttons: [...node.querySelectorAll("button")].map((b) => b.getAttribute("aria-label") || b.textContent),
  }));
  const focused = () => page.evaluate(() => document.activeElement.getAttribute("aria-label") || document.activeElement.textContent);
  const dialogs = () => page.$$eval('[role="dialog"]', (nodes) => nodes.length);

  // First page view: the newest message; Escape dismisses it.
  await page.goto(siteUrl);
  emit("first", await describe(await page.waitForSelector('[role="dialog"]', { visible: true })));
  await page.keyboard.press("Escape");
  emit("escaped", { dialogs: await dialogs() });
  await new Promise((resolve) => setTimeout(resolve, 500)); // the dismissal's track call

  // Next page view: the other message. Keyboard focus stays inside; a CTA click follows its link.
  await page.goto(siteUrl);
  const dialog = await page.waitForSelector('[role="dialog"]', { visible: true });
  emit("dialog", await describe(dialog));
  await mkdir(path.dirname(options.screenshot), { recursive: true });
  await page.screenshot({ path: options.screenshot });
  const focus = [await focused()];
  for (const shift of [false, false, true]) {
    if (shift) await page.keyboard.down("Shift");
    await page.keyboard.press("Tab");
    if (shift) await page.keyboard.up("Shift");
    focus.push(await focused());
  }
  emit("focus", { sequence: focus });
  await Promise.all([page.waitForNavigation(), page.click(".lw-cta")]);
  emit("navigated", { path: new URL(page.url()).pathname });
  // The next page view on the shop: nothing left to show.
  await page.goto(siteUrl);
  await new Promise((resolve) => setTimeout(resolve, 1500));
  emit("again", { dialogs: await dialogs() });
  outcome = 0;
} catch (error) {
  emit("error", { text: String(error) });
} finally {
  await browser.close();
  site.close();
  emit("done", { ok: outcome === 0 });
}
process.exit(outcome);
