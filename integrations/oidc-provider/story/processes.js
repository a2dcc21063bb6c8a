// Starts the pieces of the story as child processes on loopback and stops
// them: the local world (apptrust-local-world: test PKI, dnsmasq,
// apptrust-store, apptrust-decision), the reference gateway and the patient
// app. Shared by scripts/demo and the integration test.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');

// Child stderr goes to `logDir/<name>.log` (the story prints only what it
// narrates); stdout lines are read for "listening on" and answers.
function start(name, argv, logDir) {
  const log = fs.openSync(path.join(logDir, `${name}.log`), 'a');
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', log] });
  fs.closeSync(log);
  const lines = readline.createInterface({ input: child.stdout });
  const waiting = [];
  const seen = [];
  lines.on('line', (line) => {
    const i = waiting.findIndex((w) => w.test(line));
    if (i >= 0) waiting.splice(i, 1)[0].resolve(line);
    else seen.push(line);
  });
  const exited = new Promise((resolve) => { child.on('exit', (code) => resolve(code)); });
  const nextLine = (test) => new Promise((resolve, reject) => {
    const i = seen.findIndex(test);
    if (i >= 0) { resolve(seen.splice(i, 1)[0]); return; }
    waiting.push({ test, resolve });
    exited.then((code) => reject(new Error(`${name} exited (${code}); see ${logDir}/${name}.log`)));
  });
  return { child, nextLine, exited, name };
}

async function listening(proc, what) {
  const line = await proc.nextLine((l) => l.includes(`${what} listening on `));
  return line.slice(line.lastIndexOf(' ') + 1);
}

async function stop(proc) {
  if (proc.child.exitCode === null && proc.child.signalCode === null) {
    proc.child.kill('SIGTERM');
  }
  await proc.exited;
}

// A port that was free a moment ago (the app's redirect URI must be
// registered with the gateway before the app listens).
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  const { port } = server.address();
  await new Promise((resolve) => { server.close(resolve); });
  return port;
}

// Everything, started in order. `worldBinary`: apptrust-local-world.
// Resolves to { world, gateway, app, command(cmd), stop() }.
export async function startStory({ worldBinary, protoDir, logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'apptrust-story-')), worldFlags = [] }) {
  const started = [];
  try {
    const worldProcess = start('apptrust-local-world', [worldBinary, ...worldFlags], logDir);
    started.push(worldProcess);
    const world = JSON.parse(await worldProcess.nextLine((l) => l.startsWith('{')));
    const command = async (cmd) => {
      worldProcess.child.stdin.write(`${cmd}\n`);
      const answer = await worldProcess.nextLine((l) => l.endsWith(` ${cmd}`) || l.startsWith(`error ${cmd}`));
      if (!answer.startsWith('ok ')) throw new Error(answer);
    };

    const appPort = await freePort();
    const redirectUri = `https://${world.app_host}:${appPort}/callback`;
    const clients = path.join(logDir, 'clients.json');
    fs.writeFileSync(clients, JSON.stringify([{
      client_id: world.client_id,
      client_name: 'Heart Helper',
      token_endpoint_auth_method: 'none',
      application_type: 'web',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      apptrust_persona: 'patient',
    }], null, 2));

    const gatewayProcess = start('gateway', [process.execPath, path.join(root, 'gateway.js'),
      `--decision=${world.decision}`, `--store=${world.store}`, `--proto_dir=${protoDir}`,
      `--tenant=${world.tenant}`, `--clients=${clients}`], logDir);
    started.push(gatewayProcess);
    const gateway = `http://${await listening(gatewayProcess, 'http')}`;

    const appProcess = start('patient-app', [process.execPath, path.join(root, 'patient_app.js'),
      `--tls_listen=127.0.0.1:${appPort}`, `--cert=${world.app_cert}`, `--key=${world.app_key}`,
      `--host=${world.app_host}`, `--gateway=${gateway}`, `--client_id=${world.client_id}`], logDir);
    started.push(appProcess);
    await listening(appProcess, 'tls');
    const app = `http://${await listening(appProcess, 'page')}`;

    return {
      world, gateway, app, redirectUri, logDir, command,
      stop: async () => { for (const p of started.reverse()) await stop(p); },
    };
  } catch (error) {
    for (const p of started.reverse()) await stop(p);
    throw error;
  }
}
