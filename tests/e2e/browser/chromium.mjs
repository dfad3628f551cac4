// Shared by the browser scripts: puppeteer-core from tools/node_modules, headless Chromium, and
// one JSON line per observation on stdout for the pytest side.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const tools = path.resolve(here, "../../../tools/node_modules");
const require = createRequire(path.join(tools, "noop.js"));
const puppeteer = require("puppeteer-core");

export const launchChromium = () =>
  puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });

export const emit = (kind, data = {}) => process.stdout.write(JSON.stringify({ kind, ...data }) + "\n");
