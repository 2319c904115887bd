/** The viewer's page: a shell that app.js fills in. */
export const VIEWER_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tokentrail</title>
<link rel="stylesheet" href="/assets/uplot.css">
<link rel="stylesheet" href="/assets/style.css">
</head>
<body>
<header class="top">
  <a class="brand" href="#/">tokentrail</a>
  <nav class="pages">
    <a data-page="traces" href="#/">traces</a>
    <a data-page="sessions" id="sessions-link" href="#/sessions">sessions</a>
    <a data-page="users" id="users-link" href="#/users">users</a>
    <a data-page="stats" id="stats-link" href="#/stats">stats</a>
  </nav>
  <span id="live" class="live" title="live updates">connecting…</span>
  <span id="summary" class="summary"></span>
</header>
<main id="app"><p class="muted">Loading…</p></main>
<script src="/assets/uplot.js"></script>
<script type="module" src="/assets/app.js"></script>
</body>
</html>
`

/** The viewer's styles. */
export const VIEWER_CSS = `:root {
  --bg: #0f1115; --panel: #171a21; --line: #262b36; --text: #e6e8ee; --muted: #8b93a7;
  --ok: #3fb950; --error: #f85149; --cancelled: #d29922; --accent: #58a6ff;
  --llm: #a371f7; --tool: #3fb9a8; --http: #58a6ff; --queue: #d29922; --internal: #8b93a7;
  color-scheme: dark;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 13px/1.45 ui-sans-serif, system-ui, -apple-system, "Segoe UI", sans-serif; }
a { color: var(--accent); text-decoration: none; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; padding: 8px; background: var(--bg);
  border: 1px solid var(--line); border-radius: 6px; max-height: 420px; overflow: auto; }
.top { display: flex; gap: 16px; align-items: center; padding: 10px 16px; border-bottom: 1px solid var(--line);
  background: var(--panel); position: sticky; top: 0; z-index: 2; }
.brand { font-weight: 700; color: var(--text); letter-spacing: .3px; }
.live { font-size: 12px; color: var(--muted); }
.live.on::before { content: "●"; color: var(--ok); margin-right: 4px; }
.live.off::before { content: "●"; color: var(--error); margin-right: 4px; }
.summary { margin-left: auto; color: var(--muted); font-size: 12px; }
main { padding: 16px; }
.muted { color: var(--muted); }
.filters { display: flex; flex-wrap: wrap; gap: 8px; margin-bottom: 12px; }
.filters input, .filters select, button { background: var(--panel); color: var(--text); border: 1px solid var(--line);
  border-radius: 6px; padding: 5px 8px; font: inherit; }
button { cursor: pointer; }
button:hover { border-color: var(--accent); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { color: var(--muted); font-weight: 500; font-size: 12px; }
td.name { white-space: normal; max-width: 420px; overflow: hidden; text-overflow: ellipsis; }
tr.trace-row { cursor: pointer; }
tr.trace-row:hover { background: var(--panel); }
tr.fresh { animation: fresh 1s ease-out; }
@keyframes fresh { from { opacity: .3; } to { opacity: 1; } }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.status { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 11px; border: 1px solid; }
.status.ok { color: var(--ok); } .status.error { color: var(--error); } .status.cancelled { color: var(--cancelled); }
.status.open { color: var(--muted); border-style: dashed; margin-left: 4px; cursor: help; }
.notice { border: 1px dashed var(--line); border-radius: 8px; padding: 6px 10px; margin-bottom: 12px; color: var(--muted); }
.kind { display: inline-block; font-size: 10px; padding: 0 5px; border-radius: 4px; margin-right: 6px;
  background: var(--line); text-transform: uppercase; }
.kind.llm { color: var(--llm); } .kind.tool { color: var(--tool); } .kind.http { color: var(--http); }
.kind.queue { color: var(--queue); } .kind.internal { color: var(--internal); }
.trace-head { display: flex; flex-wrap: wrap; gap: 16px; align-items: baseline; margin-bottom: 12px; }
.trace-head h1 { font-size: 18px; margin: 0; }
.facts { display: flex; flex-wrap: wrap; gap: 14px; color: var(--muted); }
.facts b { color: var(--text); font-weight: 500; }
.layout { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; align-items: start; }
@media (max-width: 1000px) { .layout { grid-template-columns: 1fr; } }
.waterfall { border: 1px solid var(--line); border-radius: 8px; overflow: hidden; background: var(--panel); }
.wf-row { display: grid; grid-template-columns: minmax(180px, 38%) 1fr 72px; gap: 8px; align-items: center;
  padding: 4px 8px; border-bottom: 1px solid var(--line); cursor: pointer; }
.wf-row:last-child { border-bottom: none; }
.wf-row:hover, .wf-row.selected { background: #1f6feb22; }
.wf-name { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.wf-track { position: relative; height: 14px; background: var(--bg); border-radius: 3px; }
.wf-bar { position: absolute; top: 2px; height: 10px; border-radius: 2px; min-width: 2px; background: var(--internal); }
.wf-bar.llm { background: var(--llm); } .wf-bar.tool { background: var(--tool); } .wf-bar.http { background: var(--http); }
.wf-bar.queue { background: var(--queue); } .wf-bar.error { background: var(--error); } .wf-bar.cancelled { background: var(--cancelled); }
.wf-ttft { position: absolute; top: 0; width: 2px; height: 14px; background: #fff; opacity: .8; }
.wf-dur { text-align: right; color: var(--muted); font-variant-numeric: tabular-nums; }
.panel { border: 1px solid var(--line); border-radius: 8px; background: var(--panel); padding: 12px; }
.panel h2 { font-size: 15px; margin: 0 0 8px; word-break: break-word; }
.panel h3 { font-size: 12px; text-transform: uppercase; color: var(--muted); margin: 14px 0 6px; letter-spacing: .4px; }
.grid { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; }
.grid dt { color: var(--muted); } .grid dd { margin: 0; word-break: break-word; }
.msg { margin-bottom: 8px; }
.role { font-size: 11px; color: var(--muted); text-transform: uppercase; margin-bottom: 2px; }
.error-box { border: 1px solid var(--error); border-radius: 6px; padding: 8px; margin-bottom: 8px; }
.error-box .title { color: var(--error); font-weight: 600; margin-bottom: 6px; word-break: break-word; }
.attrs td { white-space: normal; word-break: break-word; vertical-align: top; }
.attrs td:first-child { color: var(--muted); width: 34%; }
.empty { padding: 24px; text-align: center; color: var(--muted); border: 1px dashed var(--line); border-radius: 8px; }
tr.delivery-problem td { color: var(--error); }
.more { margin-top: 12px; }
h3.section { font-size: 12px; text-transform: uppercase; color: var(--muted); margin: 20px 0 6px; letter-spacing: .4px; }
h3.section .muted { text-transform: none; letter-spacing: 0; font-weight: 400; margin-left: 8px; }
h3.section select { margin-left: 8px; text-transform: none; }
nav.pages { display: flex; gap: 12px; }
nav.pages a { color: var(--muted); }
nav.pages a.active { color: var(--text); font-weight: 600; }
.filters input.narrow { width: 80px; }
.filters .range[hidden] { display: none; }
.filters input[type=datetime-local] { width: 190px; }
.error-text { color: var(--error); }
td.when { color: var(--muted); }
td.user { max-width: 160px; overflow: hidden; text-overflow: ellipsis; }
.row-preview { color: var(--muted); font-size: 12px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 520px; }
.row-preview.error-text { color: var(--error); }
.tag { display: inline-block; font-size: 10px; padding: 0 6px; margin-left: 6px; border-radius: 8px; border: 1px solid var(--line); color: var(--muted); }
tr.trace-row.selected { background: #1f6feb33; outline: 1px solid var(--accent); }
.step { font-size: 10px; color: var(--muted); margin-left: 6px; border: 1px solid var(--line); border-radius: 4px; padding: 0 4px; }
.wf-axis { display: grid; grid-template-columns: minmax(180px, 38%) 1fr 72px; gap: 8px; align-items: center;
  padding: 4px 8px; border-bottom: 1px solid var(--line); background: var(--bg); }
.wf-track.axis { background: transparent; height: 16px; border-bottom: 1px solid var(--line); }
.tick { position: absolute; top: 0; font-size: 10px; color: var(--muted); transform: translateX(-50%); white-space: nowrap; }
.tick:first-child { transform: none; }
.tick::before { content: ""; position: absolute; left: 50%; top: 13px; width: 1px; height: 4px; background: var(--muted); }
.wf-legend { display: flex; flex-wrap: wrap; gap: 12px; padding: 6px 8px; font-size: 11px; color: var(--muted); border-top: 1px solid var(--line); }
.wf-more { padding: 6px 8px; font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; background: var(--internal); }
.swatch.wf-bar-llm { background: var(--llm); } .swatch.wf-bar-tool { background: var(--tool); }
.swatch.wf-bar-http { background: var(--http); } .swatch.error { background: var(--error); }
.swatch.ttft { width: 2px; background: #fff; }
.attrs td.key { word-break: normal; overflow-wrap: normal; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 12px; }
.chart { border: 1px solid var(--line); border-radius: 8px; background: var(--panel); padding: 8px; overflow: hidden; }
.chart h4 { margin: 0 0 4px; font-size: 12px; color: var(--muted); font-weight: 500; }
.chart .u-legend { font-size: 11px; color: var(--text); }
.chat { display: flex; flex-direction: column; gap: 14px; max-width: 980px; }
.turn { border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; background: var(--panel); }
.turn-meta { display: flex; flex-wrap: wrap; gap: 12px; align-items: baseline; font-size: 12px; color: var(--muted); margin-bottom: 8px; }
.turn-meta b { color: var(--text); }
.turn-link { margin-left: auto; }
.bubble { border-radius: 8px; padding: 6px 10px; margin: 6px 0; max-width: 85%; }
.bubble pre { background: transparent; border: none; padding: 0; max-height: none; }
.bubble.user { background: #1f6feb22; border: 1px solid #1f6feb55; }
.bubble.assistant { background: #a371f71a; border: 1px solid #a371f755; margin-left: auto; }
.tools { margin: 4px 0 4px 12px; }
.tool-call summary { cursor: pointer; color: var(--text); font-size: 12px; }
.tool-call.error summary { color: var(--error); }
.tool-call pre { margin: 2px 0 6px; }
`
