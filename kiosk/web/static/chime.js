// The station's two-tone chime, shared by the kiosk (confirmations) and the display (calls).
window.vstationChime = function (ctx, spacing, volume, length) {
  "use strict";
  [660, 880].forEach(function (freq, i) {
    const osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.frequency.value = freq; osc.connect(gain); gain.connect(ctx.destination);
    const t = ctx.currentTime + i * spacing;
    gain.gain.setValueAtTime(volume, t); gain.gain.exponentialRampToValueAtTime(0.001, t + length);
    osc.start(t); osc.stop(t + length);
  });
};
