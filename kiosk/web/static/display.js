// The now-serving display (a TV on the wall). It listens to the station's notices:
// `queue` reloads the board; `call` reloads it, highlights the called number, shows
// the call in big letters, plays a two-tone chime and then, when the station has a
// voice (espeak-ng), speaks the call in Mandarin.
//
// Browsers keep a page silent until someone interacts with it. So on load, when
// audio is still locked, a "点击开启声音" button shows; one tap (or a click with a
// mouse) unlocks sound until the page is reloaded. The board works without it.
// A wall screen started as `chromium --kiosk --autoplay-policy=no-user-gesture-required`
// is never locked and never shows the button.
//
// Its words are written in every language of the station (spans with `data-lang`);
// the page shows one language at a time and takes the next every LANGUAGE_MS, so a
// Tibetan or an English reader meets their own words within a few seconds. A call
// starts the turn again from the station's own language.
(function () {
  "use strict";
  const body = document.body;
  const board = document.getElementById("board");
  const callout = document.getElementById("callout");
  const soundButton = document.getElementById("sound-on");
  const HIGHLIGHT_MS = 15000, CALLOUT_MS = 10000, LANGUAGE_MS = 6000;
  const languages = (body.dataset.languages || "").split(" ").filter(Boolean);
  let languageTimer = null;
  const highlighted = {};          // ticket id -> until when it stays highlighted
  let audio = null;                // the page's one AudioContext
  let announcements = Promise.resolve();   // calls are said one after another, never on top
  let calloutTimer = null;

  // -- what the screen says aloud, in order (tests and operators can read it) --------
  function heard(what) {
    body.dataset.heard = ((body.dataset.heard || "") + " " + what).trim().split(" ").slice(-20).join(" ");
  }

  // -- sound -----------------------------------------------------------------------
  function audioContext() {
    if (!audio) {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) { return null; }
      try { audio = new Ctx(); } catch (e) { return null; }
    }
    return audio;
  }

  function soundUnlocked() {
    const ctx = audioContext();
    return !!ctx && ctx.state === "running";
  }

  function offerSound() {
    if (soundUnlocked()) { return; }
    soundButton.hidden = false;
    soundButton.addEventListener("click", function () {
      const ctx = audioContext();
      (ctx ? ctx.resume() : Promise.resolve()).finally(function () {
        soundButton.hidden = true;
        body.dataset.sound = soundUnlocked() ? "on" : "";
      });
    }, { once: true });
  }

  function wait(ms) { return new Promise(function (resolve) { setTimeout(resolve, ms); }); }

  function chime() {
    if (!soundUnlocked()) { return Promise.resolve(); }
    window.vstationChime(audio, 0.35, 0.3, 0.6);
    heard("chime");
    return wait(1000);
  }

  function speak(call) {
    if (!soundUnlocked()) { return Promise.resolve(); }
    // The counter is part of the address only so that a cached recording never names an old counter.
    const url = body.dataset.voiceUrl + encodeURIComponent(call.ticket) + ".wav?counter=" +
      encodeURIComponent(call.counter);
    return fetch(url).then(function (response) {
      return response.ok ? response.blob() : null;   // 404: the station has no voice, the chime said it
    }).then(function (blob) {
      if (!blob) { return null; }
      const src = URL.createObjectURL(blob);
      const player = new Audio(src);
      return new Promise(function (resolve) {
        function done() { URL.revokeObjectURL(src); resolve(); }
        player.onended = done; player.onerror = done;
        player.play().then(function () { heard("voice:" + call.number); }, done);
      });
    });
  }

  function announce(call) {
    announcements = announcements.then(function () {
      return chime().then(function () { return speak(call); });
    }).catch(function () { /* a failed sound must not stop the next call */ });
  }

  // -- the board -------------------------------------------------------------------
  function markCalled() {
    const now = Date.now();
    board.querySelectorAll("[data-ticket]").forEach(function (el) {
      const until = highlighted[el.dataset.ticket];
      el.classList.toggle("just-called", !!until && until > now);
    });
  }

  function refresh() {
    const url = body.dataset.boardUrl;
    const done = window.htmx ? htmx.ajax("GET", url, { target: board, swap: "innerHTML" })
      : fetch(url).then(function (r) { return r.text(); }).then(function (html) {
        board.innerHTML = html; markCalled();
      });
    return done.catch(function () { /* the station restarts: the next notice or the 30 s poll catches up */ });
  }
  board.addEventListener("htmx:afterSwap", markCalled);

  // -- languages, in turn ----------------------------------------------------------
  function showLanguage(index) {
    if (!languages.length) { return; }
    body.dataset.showing = languages[index % languages.length];
    clearTimeout(languageTimer);
    languageTimer = setTimeout(function () { showLanguage(index + 1); }, LANGUAGE_MS);
  }

  function callWords(call) {
    const words = document.getElementById("call-words");
    if (!words) { return null; }
    const el = words.content.firstElementChild.cloneNode(true);
    el.querySelectorAll("[data-lang]").forEach(function (span) {
      span.textContent = span.textContent.replace("{number}", call.number).replace("{counter}", call.counter);
    });
    return el.outerHTML;
  }

  function showCall(html) {
    callout.innerHTML = html;
    callout.hidden = false;
    clearTimeout(calloutTimer);
    calloutTimer = setTimeout(function () { callout.hidden = true; markCalled(); }, CALLOUT_MS);
  }

  function onCall(event) {
    const el = new DOMParser().parseFromString(event.data, "text/html").querySelector("[data-ticket]");
    if (!el) { refresh(); return; }
    const call = { ticket: el.dataset.ticket, number: el.dataset.number, counter: el.dataset.counter };
    highlighted[call.ticket] = Date.now() + HIGHLIGHT_MS;
    setTimeout(markCalled, HIGHLIGHT_MS + 100);
    showCall(callWords(call) || event.data);
    showLanguage(0);
    refresh();
    announce(call);
  }

  // -- the clock, in the station's time zone ------------------------------------------
  function tick() {
    const zone = body.dataset.timezone || undefined;
    const now = new Date();
    try {
      document.getElementById("clock-time").textContent = now.toLocaleTimeString("en-GB",
        { timeZone: zone, hour: "2-digit", minute: "2-digit", hour12: false });
      document.getElementById("clock-date").textContent = now.toLocaleDateString("sv-SE", { timeZone: zone });
    } catch (e) { /* an unknown zone: keep the time the server wrote */ }
  }

  // -- notices from the station ----------------------------------------------------
  function listen() {
    const source = new EventSource("/events");
    source.onopen = function () { body.dataset.live = "1"; refresh(); };   // catch up after a lost stream
    source.onerror = function () {                 // refused (503, all streams taken): again after 10 s
      body.dataset.live = "";
      if (source.readyState === EventSource.CLOSED) { setTimeout(listen, 10000 + Math.random() * 2000); }
    };
    source.addEventListener("call", onCall);
    source.addEventListener("queue", function () { refresh(); });
  }
  if (window.EventSource) { listen(); }
  offerSound();
  showLanguage(0);
  tick();
  setInterval(tick, 1000);
})();
