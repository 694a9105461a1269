/**
 * The inspector page. Static: everything the stream holds is added by the
 * script with `textContent`, never as HTML (stream content is untrusted).
 */
export const INSPECTOR_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>durable-client inspector</title>
<style>
  :root { color-scheme: light dark; --fg: #1b1f24; --muted: #5b6572; --line: #d8dde3; --bg: #ffffff; --panel: #f5f7f9;
          --accent: #0b63ce; --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --flash: #fff3b0; }
  @media (prefers-color-scheme: dark) {
    :root { --fg: #e6edf3; --muted: #9aa5b1; --line: #30363d; --bg: #0d1117; --panel: #161b22; --accent: #4493f8;
            --ok: #3fb950; --warn: #d29922; --bad: #f85149; --flash: #3b3200; }
  }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
  header { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line); background: var(--panel); }
  header h1 { font-size: 15px; margin: 0; }
  form { display: flex; flex: 1; gap: 8px; align-items: center; min-width: 320px; }
  form label { color: var(--muted); white-space: nowrap; }
  input { font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; background: var(--bg); color: var(--fg); }
  #stream-name { flex: 1; min-width: 120px; }
  #start-offset { width: 220px; }
  button { font: inherit; padding: 4px 12px; border: 1px solid var(--accent); border-radius: 4px; background: var(--accent); color: #fff; cursor: pointer; }
  #health { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 1px; background: var(--line); border-bottom: 1px solid var(--line); }
  #health div { background: var(--bg); padding: 6px 16px; }
  #health div.wide { grid-column: span 2; }
  #health dt { color: var(--muted); font-size: 11px; text-transform: uppercase; letter-spacing: .04em; }
  #health dd { margin: 0; font: 13px ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
  .status-live { color: var(--ok); } .status-backoff, .status-catching-up, .status-connecting { color: var(--warn); } .status-error { color: var(--bad); }
  #problem { margin: 0; padding: 8px 16px; color: var(--bad); border-bottom: 1px solid var(--line); }
  #info { padding: 6px 16px; color: var(--muted); font-size: 12px; border-bottom: 1px solid var(--line); }
  main { display: grid; grid-template-columns: minmax(0, 1fr); gap: 0; }
  main.with-state { grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); }
  section { padding: 10px 16px; min-width: 0; }
  section + section { border-left: 1px solid var(--line); }
  h2 { font-size: 13px; margin: 4px 0 8px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
  table { border-collapse: collapse; width: 100%; margin-bottom: 16px; font-size: 13px; }
  caption { text-align: left; font-weight: 600; padding: 4px 0; }
  th, td { border: 1px solid var(--line); padding: 3px 6px; text-align: left; vertical-align: top; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; overflow-wrap: anywhere; }
  th { background: var(--panel); font-weight: 600; }
  tr.changed td { animation: flash 1.2s ease-out; }
  @keyframes flash { from { background: var(--flash); } to { background: transparent; } }
  ol { list-style: none; margin: 0; padding: 0; }
  li.batch { border: 1px solid var(--line); border-radius: 6px; margin-bottom: 8px; overflow: hidden; }
  .batch-head { display: flex; justify-content: space-between; gap: 8px; padding: 3px 8px; background: var(--panel); color: var(--muted); font-size: 12px; }
  .batch-head .offset { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; color: var(--fg); }
  .message { margin: 0; padding: 6px 8px; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; white-space: pre-wrap; overflow-wrap: anywhere; }
  .message + .message { border-top: 1px dashed var(--line); }
  .op { display: inline-block; font-size: 11px; padding: 0 6px; border-radius: 8px; margin-right: 6px; background: var(--panel); border: 1px solid var(--line); }
  .muted { color: var(--muted); }
</style>
</head>
<body>
<header>
  <h1>durable-client inspector</h1>
  <form id="open-form">
    <label for="stream-name" id="prefix"></label>
    <input id="stream-name" name="stream" placeholder="stream name" autocomplete="off" spellcheck="false">
    <label for="start-offset">from offset</label>
    <input id="start-offset" name="offset" value="-1" spellcheck="false">
    <button type="submit">Open</button>
  </form>
</header>
<dl id="health" data-testid="health"></dl>
<p id="problem" data-testid="problem" hidden></p>
<div id="info" data-testid="info">Name a stream to tail it live.</div>
<main id="main">
  <section id="messages-section"><h2>Messages <span id="message-count" class="muted"></span></h2><ol id="messages" data-testid="messages"></ol></section>
  <section id="state-section" hidden><h2>State (State Protocol)</h2><div id="state" data-testid="state"></div></section>
</main>
<script type="module" src="/inspector.js"></script>
</body>
</html>
`
