// Kiosk behaviour on every screen: notices pushed by the station (SSE), and the
// idle reset that brings the home screen (and the default language) back.
(function () {
  "use strict";
  const body = document.body;
  const idleSeconds = parseInt(body.dataset.idleSeconds || "60", 10);
  const warnSeconds = Math.min(10, Math.max(3, Math.floor(idleSeconds / 3)));
  const noticeBox = document.getElementById("notice");
  const idleBox = document.getElementById("idle");
  const idleCount = document.getElementById("idle-count");
  // A screen waiting for a card (staff sign-in) goes on by itself when one is tapped.
  const onCard = body.dataset.onCard;
  let lastActivity = Date.now();
  let noticeTimer = null;

  // Once this screen is leaving (the idle reset, the home button, any link), no live part may send it
  // elsewhere: a live part fetched just as leaving ends the staff session is answered with the sign-in
  // screen (HX-Redirect), and that navigation would win over the one under way.
  let leaving = false;
  window.addEventListener("beforeunload", function () { leaving = true; });
  window.addEventListener("pageshow", function (e) { if (e.persisted) { leaving = false; } });  // back again
  ["htmx:beforeRequest", "htmx:beforeOnLoad"].forEach(function (name) {
    document.addEventListener(name, function (e) { if (leaving) { e.preventDefault(); } });
  });

  // What the kiosk played, for tests and operators: "chime", "voice".
  function heard(what) {
    body.dataset.heard = ((body.dataset.heard || "") + " " + what).trim();
  }

  function chime() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      if (ctx.state !== "running") { return; }   // the browser allows no sound yet: the words say it
      window.vstationChime(ctx, 0.18, 0.2, 0.3);
      heard("chime");
    } catch (e) { /* no audio device: the words on screen still say it */ }
  }

  // A screen that confirms an action (a ticket, a rating, a redemption) says so with a sound too,
  // and, where the station has an offline voice, in words.
  const confirmation = document.querySelector("[data-confirm]");
  if (confirmation) {
    chime();
    const say = confirmation.dataset.say;
    if (say) {
      fetch(say).then(function (r) { return r.ok ? r.blob() : null; }).then(function (blob) {
        if (!blob) { return; }               // no voice on this station: the chime said it
        const player = new Audio(URL.createObjectURL(blob));
        setTimeout(function () {
          player.play().then(function () { heard("voice"); }, function () { /* not allowed */ });
        }, 800);
      });
    }
  }

  function showNotice(html) {
    noticeBox.innerHTML = html;
    noticeBox.hidden = false;
    lastActivity = Date.now();
    chime();
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { noticeBox.hidden = true; }, 6000);
  }
  noticeBox.addEventListener("click", function () { noticeBox.hidden = true; });

  // The station's notices: the residents' screen (and its staff screens) hear `/events`; a paired staff
  // device (the staff console on the LAN) hears `/staff/events` while its staff session lives, and has no
  // idle reset: its session ends on the station's side (kiosk/members/sessions.py).
  const onConsole = body.dataset.console === "1";
  const stream = body.dataset.stream;
  function listen() {
    const query = new URLSearchParams();
    // A staff device captures the kiosk reader's taps only while a screen waits for a member's card.
    if (body.dataset.cardMode && (!onConsole || onCard)) { query.set("mode", body.dataset.cardMode); }
    if (body.dataset.audience) { query.set("who", body.dataset.audience); }
    const source = new EventSource(stream + (query.toString() ? "?" + query : ""));
    // The screen marks whether it hears the station; a lost stream reconnects by itself, and one the
    // station refused (503: all its streams taken) is asked for again after the Retry-After of 10 s.
    source.onopen = function () { body.dataset.live = "1"; };
    source.onerror = function () {
      body.dataset.live = "";
      if (source.readyState === EventSource.CLOSED) { setTimeout(listen, 10000 + Math.random() * 2000); }
    };
    // The staff session behind a device's stream ended: to the sign-in screen.
    source.addEventListener("ended", function (e) { source.close(); window.location.href = e.data.trim() || "/staff/"; });
    // Live parts of a screen (the counter's waiting lists, the staff alerts) refresh on these; nothing pops up.
    ["queue", "call", "alerts"].forEach(function (kind) {
      source.addEventListener(kind, function () { body.dispatchEvent(new CustomEvent("vstation-" + kind)); });
    });
    // A screen that shows doors itself (a locker operation, the staff's lockers) stays quiet about them;
    // its parts can still follow each notice as a "vstation-<kind>" event on the body.
    const quiet = (body.dataset.quiet || "").split(" ");
    // A page showing a slip's progress follows its print job; on each (re)connect it asks once,
    // so a change made while the stream was not yet open is not missed.
    function showPrint(html) {
      const holder = document.createElement("div");
      holder.innerHTML = html.trim();
      const fresh = holder.firstElementChild;
      if (!fresh) { return; }
      const old = document.querySelector('[data-print-job="' + fresh.dataset.printJob + '"]');
      if (old) { old.replaceWith(fresh); }
    }
    source.addEventListener("print", function (e) { showPrint(e.data); });
    source.addEventListener("open", function () {
      document.querySelectorAll('[data-print-job][data-print-state="queued"], [data-print-job][data-print-state="sending"]')
        .forEach(function (el) {
          fetch("/print/job/" + el.dataset.printJob).then(function (r) { return r.ok ? r.text() : ""; }).then(showPrint);
        });
    });
    ["card", "door", "printer", "locker"].forEach(function (kind) {
      source.addEventListener(kind, function (e) {
        const tap = /data-tap="([^"]*)"/.exec(e.data);
        if (kind === "card" && onCard && tap && tap[1]) {
          // The tap's id goes with the screen that waited for it: the station hands that tap out once
          // (a tap captured for another screen, a staff device, comes without one: it is only shown).
          window.location.href = onCard + (onCard.indexOf("?") < 0 ? "?" : "&") + "tap=" + encodeURIComponent(tap[1]);
          return;
        }
        body.dispatchEvent(new CustomEvent("vstation-" + kind));
        if (!e.data.trim() || quiet.indexOf(kind) >= 0) { return; }   // nothing this screen needs to show
        showNotice(e.data);
      });
    });
  }
  if (window.EventSource && stream) { listen(); }

  ["pointerdown", "keydown"].forEach(function (ev) {
    document.addEventListener(ev, function () {
      lastActivity = Date.now();
      idleBox.hidden = true;
    }, true);
  });
  document.getElementById("idle-stay").addEventListener("click", function () {
    lastActivity = Date.now(); idleBox.hidden = true;
  });

  // On-screen number keypads: nobody types on a kiosk. Keys fill a hidden field;
  // a masked keypad (PINs) shows dots only. A refused entry comes back in the field to be corrected;
  // its refusal goes away as soon as the entry is valid (`data-keypad-valid`, a pattern), or at the
  // first key where the form has no pattern.
  document.querySelectorAll("[data-keypad]").forEach(function (form) {
    const value = form.querySelector("[data-keypad-value]");
    const display = form.querySelector("[data-keypad-display]");
    const refusal = form.querySelector("[data-refusal]");      // said in place of the heading,
    const heading = form.querySelector("[data-keypad-heading]"); // which comes back once the entry is valid
    const valid = form.dataset.keypadValid ? new RegExp(form.dataset.keypadValid) : null;
    const max = parseInt(form.dataset.keypadMax || "8", 10);
    const masked = form.hasAttribute("data-keypad-mask");
    form.querySelectorAll("[data-key]").forEach(function (button) {
      button.addEventListener("click", function () {
        const key = button.dataset.key;
        if (key === "back") { value.value = value.value.slice(0, -1); }
        else if (key === "clear") { value.value = ""; }
        else if (value.value.length < max) { value.value += key; }
        display.textContent = (masked ? "●".repeat(value.value.length) : value.value) || "\u00a0";
        if (refusal && (!valid || valid.test(value.value))) {   // no pattern: any new key makes it stale
          refusal.hidden = true;
          if (heading) { heading.hidden = false; }
        }
      });
    });
  });

  // The idle screen shows the station's notices one after another.
  const notices = document.querySelectorAll("[data-notice]");
  let shown = 0;
  if (notices.length > 1) {
    setInterval(function () {
      notices[shown].hidden = true;
      shown = (shown + 1) % notices.length;
      notices[shown].hidden = false;
    }, 8000);
  }

  const welcome = document.querySelector("[data-welcome]") !== null;
  const atRest = welcome || (body.dataset.home === "1" && body.dataset.defaultLang === "yes");
  setInterval(function () {
    // a navigation under way is not started again (each new one would cancel it: on a slow station the
    // reset would never arrive)
    if (leaving) { return; }
    if (atRest) {
      // Home in the default language, untouched: the idle screen comes (not a countdown).
      if (!welcome && Date.now() - lastActivity > idleSeconds * 1000) { window.location.href = "/welcome"; }
      return;
    }
    // a counter in service is never reset (the console's live part says so as it changes)
    if (onConsole || body.dataset.idleHold === "1" || document.querySelector("[data-in-service='1']")) { return; }
    const left = idleSeconds - Math.floor((Date.now() - lastActivity) / 1000);
    if (left <= 0) { window.location.href = "/?idle=1"; return; }
    if (left <= warnSeconds) { idleCount.textContent = String(left); idleBox.hidden = false; }
  }, 250);
})();
