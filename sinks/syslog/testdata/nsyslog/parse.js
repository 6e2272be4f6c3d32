// Reads one JSON-encoded syslog message per line on stdin and writes, per
// line, nsyslog-parser's view of it as JSON: the syslog fields, the CEF
// header (cef) and the extension (fields). Used by the syslog sink's tests
// as a parser written by someone else.
const parse = require("nsyslog-parser");
const readline = require("readline");
const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on("line", (line) => {
  if (!line) return;
  const r = parse(JSON.parse(line));
  if (r.err) r.err = String(r.err);
  process.stdout.write(JSON.stringify(r) + "\n");
});
