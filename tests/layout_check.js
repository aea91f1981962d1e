// What a person meets on the screen on show (tests/test_layout.py): one list of problems in words.
({lang, main}) => {
  const W = window.innerWidth, H = window.innerHeight;
  const problems = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && s.display !== "none" && !el.closest("[hidden]");
  };
  const name = (el) => (el.innerText || el.getAttribute("aria-label") || el.tagName).trim().replace(/\s+/g, " ").slice(0, 40);
  const box = (r) => `${Math.round(r.left)},${Math.round(r.top)} ${Math.round(r.width)}x${Math.round(r.height)}`;

  // 1. never sideways
  const wide = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
  if (wide > W + 1) {
    const culprits = [...document.querySelectorAll("body *")].filter((el) => visible(el) &&
      el.getBoundingClientRect().right > W + 1).slice(-3).map((el) => `${el.tagName}.${el.className} "${name(el)}"`);
    problems.push(`scrolls sideways: ${wide}px wide for ${W}px (${culprits.join("; ")})`);
  }
  const controls = [...document.querySelectorAll("a[href], button, input:not([type=hidden]), select, [role=button], label.toggle")]
    .filter(visible);
  for (const el of controls) {
    if (el.scrollWidth > el.clientWidth + 2 && getComputedStyle(el).overflowX !== "visible") {
      problems.push(`text cut off in "${name(el)}"`);
    }
    const r = el.getBoundingClientRect();
    if (r.right > W + 1 || r.left < -1) problems.push(`control off the side: "${name(el)}" at ${box(r)}`);
  }

  // 2. the main action on screen without scrolling
  const mains = [...document.querySelectorAll("[data-main]")].filter(visible);
  if (main) {
    if (!mains.length) problems.push("no main action marked (data-main)");
    for (const el of mains) {
      const r = el.getBoundingClientRect();
      if (r.top < -1 || r.left < -1 || r.bottom > H + 1 || r.right > W + 1) {
        problems.push(`main action not on screen: "${name(el)}" at ${box(r)} in ${W}x${H}`);
      }
    }
  } else {
    const notice = document.getElementById("notice");
    const r = notice.getBoundingClientRect();
    if (!visible(notice) || r.bottom > H + 1 || r.top < -1) problems.push(`notice not on screen at ${box(r)}`);
  }

  // 3. nothing fixed over text or a control
  const fixed = [...document.querySelectorAll("body *")].filter((el) => visible(el) &&
    ["fixed", "sticky"].includes(getComputedStyle(el).position));
  const targets = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const node = walker.currentNode, el = node.parentElement;
    if (!node.textContent.trim() || !el || !visible(el) || el.closest("script, style, svg")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    for (const r of range.getClientRects()) targets.push({el, r, what: `text "${node.textContent.trim().slice(0, 24)}"`});
  }
  for (const el of controls) targets.push({el, r: el.getBoundingClientRect(), what: `control "${name(el)}"`});
  for (const f of fixed) {
    const fr = f.getBoundingClientRect();
    for (const t of targets) {
      if (f.contains(t.el) || t.el.contains(f)) continue;
      const x = Math.min(fr.right, t.r.right) - Math.max(fr.left, t.r.left);
      const y = Math.min(fr.bottom, t.r.bottom) - Math.max(fr.top, t.r.top);
      if (x > 1 && y > 1) { problems.push(`${f.tagName}.${f.className} covers ${t.what}`); break; }
    }
  }

  // 4. the header stays a header
  const header = document.querySelector("body > header");
  if (header) {
    const r = header.getBoundingClientRect();
    if (r.height > Math.max(150, 0.3 * H)) problems.push(`header takes ${Math.round(r.height)}px of ${H}`);
    if (header.scrollWidth > header.clientWidth + 1) problems.push("header overflows sideways");
  }

  // 5. punctuation and digits of the language
  const text = document.body.innerText;
  if (lang !== "zh") {
    const chinese = text.match(/.{0,12}[、：，。（）！？；「」【】].{0,12}/g);
    if (chinese) problems.push(`Chinese punctuation in ${lang}: ${JSON.stringify(chinese.slice(0, 3))}`);
  }
  if (lang === "bo" && /[\u0F20-\u0F29]/.test(text)) {
    problems.push(`Tibetan digits beside Arabic ones: ${JSON.stringify(text.match(/.{0,12}[\u0F20-\u0F29].{0,12}/g).slice(0, 3))}`);
  }
  return problems;
}
