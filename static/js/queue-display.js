// Waiting-room display: queue.js refreshes the board; this adds the chime and the spoken-text line for each call.
// Browsers play sound only after a click, hence the "Start display" overlay (it also asks for full screen).
// <html data-chimes> counts the chimes played, so a test can see that a call rang.
(function () {
  "use strict";
  const script = document.currentScript;
  const overlay = document.getElementById("display-start");
  const button = document.getElementById("display-start-button");
  const announce = document.getElementById("display-announce");
  const clock = document.getElementById("display-clock");
  let audio = null;

  if (clock) {
    const fmt = new Intl.DateTimeFormat(document.documentElement.lang || "en", { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: clock.dataset.tz });
    const tick = () => { clock.textContent = fmt.format(new Date()); };
    tick();
    setInterval(tick, 15000);
  }

  button.addEventListener("click", () => {
    const Context = window.AudioContext || window.webkitAudioContext;
    if (Context) { audio = new Context(); audio.resume(); }
    overlay.hidden = true;
    document.documentElement.dataset.displayStarted = "1";
    if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
  });

  function chime() {
    const html = document.documentElement;
    html.dataset.chimes = String(Number(html.dataset.chimes || 0) + 1);
    if (!audio) return;
    const now = audio.currentTime;
    [[880, 0], [660, 0.45]].forEach(([freq, at]) => {  // ding-dong
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      gain.gain.setValueAtTime(0.0001, now + at);
      gain.gain.exponentialRampToValueAtTime(0.4, now + at + 0.03);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + at + 1.2);
      osc.connect(gain).connect(audio.destination);
      osc.start(now + at);
      osc.stop(now + at + 1.3);
    });
  }

  document.addEventListener("queue:changed", (event) => {
    const called = event.detail && event.detail.called;
    if (!called || !called.label) return;
    chime();
    announce.textContent = script.dataset.msgCalling.replace("{label}", called.label)
      .replace("{room}", called.room || script.dataset.msgRoom);
    // flash the called token once the refreshed board is in
    const board = document.getElementById("display-board");
    const mark = () => {
      board.querySelectorAll("[data-called-token]").forEach((el) => {
        if (el.dataset.calledToken === called.label) { el.classList.remove("display-flash"); void el.offsetWidth; el.classList.add("display-flash"); }
      });
    };
    new MutationObserver((_m, observer) => { observer.disconnect(); mark(); }).observe(board, { childList: true });
  });
})();
