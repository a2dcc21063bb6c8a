// The patient's browser, reduced to what the story needs: it follows
// redirects, keeps cookies, submits the gateway's sign-in and consent forms,
// and reaches the app's website at its redirect host the way a browser on the
// patient's machine would: the name resolved by the world's DNS server, the
// certificate checked against the world's trust root. Every request and answer
// is reported to `onStep` (scripts/demo prints them).
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

export class PatientBrowser {
  constructor({ dnsServer, trustRootPath, onStep = () => {} }) {
    this.resolver = new dns.Resolver();
    this.resolver.setServers([dnsServer]);
    this.ca = fs.readFileSync(trustRootPath);
    this.cookies = new Map(); // host → Map name → value
    this.onStep = onStep;
  }

  #lookup = (hostname, options, callback) => {
    this.resolver.resolve4(hostname, (error, addresses) => {
      if (error) { callback(error); return; }
      if (options.all) callback(null, addresses.map((address) => ({ address, family: 4 })));
      else callback(null, addresses[0], 4);
    });
  };

  #request(method, url, form) {
    const target = new URL(url);
    const jar = this.cookies.get(target.host) ?? new Map();
    const headers = { Accept: 'text/html' };
    if (jar.size) headers.Cookie = [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const body = form ? new URLSearchParams(form).toString() : undefined;
    if (body) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    const secure = target.protocol === 'https:';
    const options = { method, headers, ...(secure ? { ca: this.ca, lookup: this.#lookup } : {}) };
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(target, options, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => { text += chunk; });
        res.on('end', () => {
          for (const cookie of res.headers['set-cookie'] ?? []) {
            const [pair, ...attributes] = cookie.split(';');
            const [name, value] = [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1)];
            const expired = attributes.some((a) => /^\s*(max-age=0|expires=Thu, 01 Jan 1970)/i.test(a));
            if (expired || value === '') jar.delete(name); else jar.set(name, value);
          }
          this.cookies.set(target.host, jar);
          resolve({ status: res.statusCode, location: res.headers.location, body: text });
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  // One request, then its redirects (GET), except to an address for which
  // `stopBefore(url)` is true. Resolves to the last answer, with `url` the
  // address it came from.
  async go(method, url, form, stopBefore = () => false) {
    let answer = await this.#request(method, url, form);
    this.onStep({ method, url, status: answer.status, location: answer.location });
    let current = url;
    for (let hops = 0; answer.location && answer.status >= 300 && answer.status < 400; hops += 1) {
      if (hops > 10) throw new Error(`too many redirects from ${url}`);
      if (stopBefore(new URL(answer.location, current).href)) break;
      current = new URL(answer.location, current).href;
      answer = await this.#request('GET', current);
      this.onStep({ method: 'GET', url: current, status: answer.status, location: answer.location });
    }
    return { ...answer, url: current };
  }

  // Starts the app's authorization on its page, signs in when asked, approves
  // on the consent page, and follows the redirect back to the app's website
  // (unless `toApp` is false: then it resolves to the gateway's redirect,
  // `location` holding the code, which the app never sees). Resolves to the
  // last answer (with `toApp`, the app's page, connected).
  async approveApp(appUrl, { username = 'patient', password = 'patient', toApp = true } = {}) {
    let answer = await this.go('GET', `${appUrl}/authorize`);
    if (answer.body.includes('/login"')) {
      answer = await this.go('POST', `${answer.url}/login`, { username, password });
    }
    if (!answer.body.includes('/confirm"')) {
      throw new Error(`no consent page at ${answer.url}: ${answer.status} ${answer.body.slice(0, 300)}`);
    }
    this.consentPage = answer.body;
    const gateway = new URL(answer.url).origin;
    return this.go('POST', `${answer.url}/confirm`, {},
      (next) => !toApp && new URL(next).origin !== gateway);
  }
}
