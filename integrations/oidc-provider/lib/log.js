// One JSON object per line on stderr, like the AppTrust services: grant ids,
// never tokens.
export function logLine(msg, fields = {}) {
  process.stderr.write(`${JSON.stringify({ time: new Date().toISOString(), msg, ...fields })}\n`);
}
