/**
 * The Chromium the browser tests drive: `CHROME_PATH` (or `CHROMIUM_PATH`) when set, else a
 * system Chrome or Chromium on PATH (chromium, chromium-browser, google-chrome,
 * google-chrome-stable) or at the usual install paths, else the Linux x64 build that the
 * `@sparticuz/chromium` devDependency ships inside the npm package (unpacked into the temp
 * directory on first use, about 2 s). So `npm install && npm test` needs no system browser on
 * Linux x64; elsewhere, install Chrome or Chromium or point CHROME_PATH at it.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import { type Browser, chromium } from "playwright-core";

const NAMES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];
const KNOWN_PATHS = [
  "/usr/lib/chromium/chromium",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "/Applications/Chromium.app/Contents/MacOS/Chromium",
];
/**
 * Flags of @sparticuz/chromium's list (made for AWS Lambda) left out here: those that turn off
 * what the tests check (same-origin policy, mixed content, site isolation), and
 * `--single-process`, with which closing a browser context ends the whole browser.
 */
const DROPPED_FLAGS = [
  "--disable-web-security",
  "--allow-running-insecure-content",
  "--disable-site-isolation-trials",
  "--single-process",
];

export interface FoundBrowser {
  executablePath: string;
  args: string[];
  /** Where it came from, for the log. */
  source: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** A system Chrome or Chromium: the environment's choice, then PATH, then the usual paths. */
export function systemChromium(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const chosen = env.CHROME_PATH || env.CHROMIUM_PATH;
  if (chosen) {
    if (!executable(chosen)) throw new Error(`CHROME_PATH=${chosen} is not an executable file`);
    return chosen;
  }
  const dirs = (env.PATH ?? "").split(delimiter).filter(Boolean);
  for (const name of NAMES) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (executable(path)) return path;
    }
  }
  return KNOWN_PATHS.find(executable);
}

/** The browser to launch: a system one, else the one @sparticuz/chromium ships (Linux only). */
export async function findChromium(): Promise<FoundBrowser> {
  const system = systemChromium();
  if (system) return { executablePath: system, args: ["--no-sandbox", "--disable-gpu"], source: system };
  if (process.platform !== "linux" || process.arch !== "x64") {
    throw new Error(
      "No Chrome or Chromium found: install Google Chrome or Chromium, or set CHROME_PATH to its " +
        "executable (the npm-installed fallback, @sparticuz/chromium, is a Linux x64 build)",
    );
  }
  const { default: packaged } = await import("@sparticuz/chromium");
  return {
    executablePath: await packaged.executablePath(),
    args: packaged.args.filter((a) => !DROPPED_FLAGS.includes(a)),
    source: "@sparticuz/chromium (npm)",
  };
}

/** Launches headless Chromium for the tests. */
export async function launchChromium(): Promise<{ browser: Browser; source: string }> {
  const found = await findChromium();
  const browser = await chromium.launch({
    executablePath: found.executablePath,
    args: found.args,
    headless: true,
  });
  return { browser, source: found.source };
}
