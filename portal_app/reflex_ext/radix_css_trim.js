// PostCSS (a dependency of Vite) drops each selector that names a class in `dropped` and none in
// `used`, then the rules left without a selector and the at-rules left empty. Run by
// radix_css.py with node in .web, {css, used, dropped} as JSON on stdin; the CSS on stdout.
// PostCSS from the working directory's node_modules (.web's), not from beside this file.
const postcss = require("module").createRequire(process.cwd() + "/")("postcss");
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
const used = new Set(input.used), dropped = new Set(input.dropped);
const root = postcss.parse(input.css);
const needsDropped = (selector) => {
  const names = selector.match(/rt-[A-Z][A-Za-z0-9]*(?![\w-])/g) || [];
  return names.some((n) => dropped.has(n)) && !names.some((n) => used.has(n));
};
root.walkRules((rule) => {
  if (rule.parent.type === "atrule" && /keyframes$/i.test(rule.parent.name)) return;
  const kept = rule.selectors.filter((selector) => !needsDropped(selector));
  if (kept.length === 0) rule.remove();
  else if (kept.length < rule.selectors.length) rule.selectors = kept;
});
let removed = true;
while (removed) {
  removed = false;
  root.walkAtRules((at) => {
    if (at.nodes && at.nodes.length === 0) { at.remove(); removed = true; }
  });
}
process.stdout.write(root.toResult().css);
