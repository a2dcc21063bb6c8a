// The few HTML pages of the gateway and the patient app: every value escaped,
// no scripts.
export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function page(title, body) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;line-height:1.4}
button,.button{font-size:1rem;padding:.5rem 1rem}.notice{border-left:4px solid #b45309;padding-left:1rem}</style>
</head><body>${body}</body></html>`;
}

// Reads an application/x-www-form-urlencoded body (at most 64 KiB).
export async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 65536) throw new Error('form too large');
  }
  return Object.fromEntries(new URLSearchParams(body));
}
