// The story of a suspended refresh, told step by step on one machine, offline
// (loopback only): scripts/demo runs this. It starts AppTrust (store and
// decision service), a DNS server and a test CA for the app's website, the
// reference gateway (oidc-provider) and the Heart Helper patient app, then
// plays the patient and the app's developer, printing each request and
// answer. At the end it leaves everything running so the pages can be opened
// in a browser (Ctrl-C stops), unless --no-wait.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { PatientBrowser } from './story/patient_browser.js';
import { startStory } from './story/processes.js';

const { values: flags } = parseArgs({
  options: {
    world: { type: 'string' },
    ctl: { type: 'string' },
    proto_dir: { type: 'string' },
    logs: { type: 'string' },
    'no-wait': { type: 'boolean', default: false },
  },
});

const say = (text) => process.stdout.write(`\n== ${text}\n`);
const show = (text) => process.stdout.write(`   ${text}\n`);

function describeStep({ method, url, status, location }) {
  const { pathname, origin } = new URL(url);
  let what = '';
  if (pathname === '/authorize') what = 'the app starts an authorization (code + PKCE, scope openid offline_access)';
  else if (pathname === '/auth') what = "the gateway's authorization endpoint";
  else if (pathname.endsWith('/login')) what = 'the patient signs in';
  else if (pathname.endsWith('/confirm')) what = 'the patient approves: the gateway calls AppTrust Enroll';
  else if (pathname.startsWith('/interaction/')) what = 'the gateway shows its sign-in or consent page';
  else if (pathname.startsWith('/auth/')) what = 'the gateway resumes the authorization';
  else if (pathname === '/callback') what = "the app's website receives the code and exchanges it for tokens";
  else if (pathname === '/') what = "the app's page";
  show(`${method} ${origin}${pathname} → ${status}${location ? ` (to ${new URL(location, url).pathname})` : ''}  ${what}`);
}

// The story stops (exit 1) when an answer is not the one it tells.
async function refresh(app, expectedStatus) {
  const response = await fetch(`${app}/refresh`, { method: 'POST', headers: { Accept: 'application/json' } });
  const answer = await response.json();
  show(`the app → gateway: POST /token grant_type=refresh_token (refresh token sha256 ${answer.refresh_token_sha256}…)`);
  show(`the gateway → the app: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  if (answer.status !== expectedStatus) throw new Error(`expected HTTP ${expectedStatus}, the story cannot go on`);
  return answer;
}

function grantLine(story) {
  const { grants = [] } = JSON.parse(execFileSync(flags.ctl, ['grant', 'list', `--store=${story.world.store}`,
    `--tenant=${story.world.tenant}`, '--json'], { encoding: 'utf8' }));
  for (const g of grants) {
    show(`AppTrust grant ${g.grant_id}: ${g.state.replace('GRANT_STATE_', '')}, ${g.identity?.label ?? ''} `
      + `"${g.identity?.organization_name ?? ''}" ${g.identity?.domain ?? ''}`);
  }
  if (grants.length === 0) show('AppTrust holds no grant');
}

const logs = path.resolve(flags.logs);
fs.rmSync(logs, { recursive: true, force: true });
fs.mkdirSync(logs, { recursive: true });
say('Starting: AppTrust store and decision service, a DNS server for heart.test, a test CA,');
show('the reference gateway (node oidc-provider) and the Heart Helper patient app.');
const story = await startStory({ worldBinary: flags.world, protoDir: flags.proto_dir, logDir: logs });
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await story.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
try {
  show(`gateway (issuer)         ${story.gateway}`);
  show(`Heart Helper's page      ${story.app}`);
  show(`Heart Helper's website   ${story.redirectUri.replace('/callback', '/')} (its redirect host; DNS ${story.world.dns})`);
  show(`AppTrust decision        ${story.world.decision} (explanation pages at ${story.world.web})`);
  show(`logs of every process    ${logs}`);

  const patient = new PatientBrowser({
    dnsServer: story.world.dns, trustRootPath: story.world.trust_root, onStep: describeStep,
  });
  say('1. The patient connects Heart Helper to their health record');
  await patient.approveApp(story.app);
  grantLine(story);

  say('2. Heart Helper refreshes its token: the gateway asks AppTrust (CheckRefresh), AppTrust allows');
  await refresh(story.app, 200);

  say("3. Heart Helper's website certificate expires (replaced by one that expired yesterday)");
  await story.command('expire');
  show('nothing else changes; the patient does nothing');

  say('4. Heart Helper refreshes again: AppTrust suspends, the gateway refuses (RFC 6749 §5.2)');
  const refused = await refresh(story.app, 400);
  grantLine(story);
  show('the refresh token was not consumed: the app keeps it');

  say('5. What the patient sees');
  show(`Heart Helper's page says its access may have been suspended, links "More information"`);
  show(`to the error_uri and offers "Request authorization again": ${story.app}/`);
  show(`the page behind error_uri: ${refused.body.error_uri}`);

  say("6. Heart Helper's developer renews the certificate: still suspended until the patient approves again");
  await story.command('renew');
  await refresh(story.app, 400);

  say('7. The patient approves Heart Helper again (the gateway calls Enroll: the grant is ACTIVE again)');
  await patient.approveApp(story.app, { toApp: false });
  show('(the new code sent back to the app is left undelivered: the app keeps its old refresh token)');
  grantLine(story);

  say('8. Heart Helper refreshes with the same refresh token it was refused: allowed');
  const allowed = await refresh(story.app, 200);
  if (allowed.refresh_token_sha256 !== refused.refresh_token_sha256) throw new Error('not the same refresh token');

  say('Open in a browser while this runs:');
  show(`the explanation page: ${refused.body.error_uri}`);
  show(`Heart Helper:         ${story.app}/`);
  if (flags['no-wait']) {
    await stop();
  } else {
    show('Ctrl-C stops everything.');
  }
} catch (error) {
  process.stderr.write(`demo: ${error.stack}\n(logs in ${logs})\n`);
  await story.stop();
  process.exit(1);
}
