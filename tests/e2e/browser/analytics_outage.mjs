// The real analytics.js (analytics-next UMD build) in headless Chromium, sending one track call to
// an API that is down when the page sends it. Prints one JSON line per thing the browser did
// ({"kind": "request" | "response" | "failed" | "console" | "done", ...}) so the pytest side can
// start leadwire local after the first failure and check what arrived.
//
// Usage: node analytics_outage.mjs '{"apiPort": 8787, "writeKey": "k", "anonymousId": "a",
//                                    "event": "outage_test", "settleMs": 3000, "timeoutMs": 90000}'
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { emit, launchChromium, tools } from "./chromium.mjs";

const umd = path.join(tools, "@segment/analytics-next/dist/umd");
const options = JSON.parse(process.argv[2]);

const page_html = `<!doctype html><html lang="en"><head><title>analytics.js outage</title>
<script src="/umd/index.js"></script></head><body><p>analytics.js outage test</p></body></html>`;

// The page lives on its own origin: every call to the API is cross-origin, as on a customer's site.
const site = createServer(async (request, response) => {
  const url = new URL(request.url, "http://127.0.0.1");
  if (url.pathname === "/") {
    response.writeHead(200, { "content-type": "text/html" }).end(page_html);
    return;
  }
  const file = path.join(umd, path.normalize(url.pathname.replace(/^\/umd\//, "")));
  if (!file.startsWith(umd)) {
    response.writeHead(404).end();
    return;
  }
  try {
    const body = await readFile(file);
    response.writeHead(200, { "content-type": "text/javascript" }).end(body);
  } catch {
    response.writeHead(404).end();
  }
});
await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
const siteUrl = `http://127.0.0.1:${site.address().port}/`;

const browser = await launchChromium();
let outcome = 1;
try {
  const page = await browser.newPage();
  const api = `127.0.0.1:${options.apiPort}/v1`;
  let accepted = null;
  page.on("request", (request) => {
    if (request.url().includes(api)) {
      const headers = request.headers();
      emit("request", { method: request.method(), url: request.url(), retryCount: headers["x-retry-count"] ?? null,
        authorization: "authorization" in headers });
    }
  });
  page.on("requestfailed", (request) => {
    if (request.url().includes(api)) {
      emit("failed", { method: request.method(), url: request.url(), error: request.failure()?.errorText });
    }
  });
  page.on("response", (response) => {
    if (response.url().includes(api) && response.request().method() === "POST") {
      emit("response", { url: response.url(), status: response.status() });
      if (response.status() === 200 && accepted === null) accepted = Date.now();
    }
  });
  page.on("console", (message) => emit("console", { type: message.type(), text: message.text() }));
  await page.goto(siteUrl, { waitUntil: "load" });
  await page.evaluate(
    async ({ writeKey, api, anonymousId, event }) => {
      const [analytics] = await window.AnalyticsNext.AnalyticsBrowser.load(
        {
          writeKey,
          cdnSettings: {
            integrations: { "Segment.io": { apiKey: writeKey, apiHost: api, protocol: "http" } },
            plugins: [],
            remotePlugins: [],
          },
        },
        { disableClientPersistence: true },
      );
      analytics.setAnonymousId(anonymousId);
      analytics.track(event, { plan: "teams" });  // not awaited: it resolves only once delivered
    },
    { writeKey: options.writeKey, api, anonymousId: options.anonymousId, event: options.event },
  );
  const deadline = Date.now() + options.timeoutMs;
  while (Date.now() < deadline && (accepted === null || Date.now() - accepted < options.settleMs)) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  outcome = accepted === null ? 1 : 0;
  emit("done", { accepted: accepted !== null });
} finally {
  await browser.close();
  site.close();
}
process.exit(outcome);
