// Headless Chromium over the DevTools protocol on a pipe, for node tests: the
// same browser, flags and pipe protocol as tests/web/headless_chromium.h
// (commands on fd 3, answers on fd 4, NUL-terminated JSON), no driver and no
// npm package. One tab; enough to open a page, evaluate in it, and click.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export class HeadlessChromium {
  // binary: $APPTRUST_CHROMIUM or "chromium"; profileDir must be fresh.
  static async start({ binary, profileDir, logPath }) {
    const log = fs.openSync(logPath, 'w');
    const child = spawn(binary, [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--no-default-browser-check', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-extensions',
      '--disable-dev-shm-usage', '--hide-scrollbars', '--mute-audio',
      `--user-data-dir=${profileDir}`, '--remote-debugging-pipe', 'about:blank',
    ], { stdio: ['ignore', log, log, 'pipe', 'pipe'], detached: true });
    fs.closeSync(log);
    const browser = new HeadlessChromium(child);
    await browser.#call('Browser.getVersion', {}, { browserLevel: true });
    const { targetId } = await browser.#call('Target.createTarget', { url: 'about:blank' }, { browserLevel: true });
    const { sessionId } = await browser.#call('Target.attachToTarget', { targetId, flatten: true }, { browserLevel: true });
    browser.sessionId = sessionId;
    await browser.#call('Page.enable', {});
    return browser;
  }

  constructor(child) {
    this.child = child;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = [];
    let buffer = '';
    child.stdio[4].setEncoding('utf8');
    child.stdio[4].on('data', (chunk) => {
      buffer += chunk;
      for (let end = buffer.indexOf('\0'); end >= 0; end = buffer.indexOf('\0')) {
        const message = JSON.parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 1);
        if (message.id && this.pending.has(message.id)) {
          const { resolve, reject, method } = this.pending.get(message.id);
          this.pending.delete(message.id);
          if (message.error) reject(new Error(`${method}: ${message.error.message}`));
          else resolve(message.result);
        } else if (message.method) {
          this.listeners = this.listeners.filter((l) => !l(message));
        }
      }
    });
    child.on('exit', () => {
      for (const { reject, method } of this.pending.values()) reject(new Error(`${method}: the browser exited`));
    });
  }

  #call(method, params, { browserLevel = false } = {}) {
    const id = this.nextId++;
    const message = { id, method, params };
    if (!browserLevel && this.sessionId) message.sessionId = this.sessionId;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, method });
      this.child.stdio[3].write(`${JSON.stringify(message)}\0`);
    });
  }

  #nextLoad() {
    return new Promise((resolve) => {
      this.listeners.push((m) => {
        if (m.method !== 'Page.loadEventFired' || m.sessionId !== this.sessionId) return false;
        resolve();
        return true;
      });
    });
  }

  // Loads `url` and waits for its load event.
  async open(url) {
    const loaded = this.#nextLoad();
    const { errorText } = await this.#call('Page.navigate', { url });
    if (errorText) throw new Error(`${url}: ${errorText}`);
    await loaded;
  }

  // The value of `expression` in the page.
  async evaluate(expression) {
    const { result, exceptionDetails } = await this.#call('Runtime.evaluate', { expression, returnByValue: true });
    if (exceptionDetails) throw new Error(`${expression}: ${exceptionDetails.text}`);
    return result.value;
  }

  // Clicks the element `selector` (a link or a form's button) and waits for
  // the page it leads to.
  async clickAndWait(selector) {
    const loaded = this.#nextLoad();
    const found = await this.evaluate(`(() => { const e = document.querySelector(${JSON.stringify(selector)});
      if (!e) return false; e.click(); return true; })()`);
    if (!found) throw new Error(`no ${selector} on the page`);
    await loaded;
  }

  async close() {
    const exited = new Promise((resolve) => { this.child.on('exit', resolve); });
    await Promise.race([this.#call('Browser.close', {}, { browserLevel: true }).catch(() => {}),
      new Promise((resolve) => { setTimeout(resolve, 5000); })]);
    const killer = setTimeout(() => { try { process.kill(-this.child.pid, 'SIGKILL'); } catch {} }, 10000);
    if (this.child.exitCode === null) await exited;
    clearTimeout(killer);
    try { process.kill(-this.child.pid, 'SIGKILL'); } catch {} // helpers left in its group
  }
}
