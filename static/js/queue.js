// Live queue boards: join the hospital's queue room (`watch_queue`) and, on every `queue.changed`, fetch again each
// element that carries data-queue-url and swap its HTML. The event carries no names; the fetch is an ordinary
// logged-in GET. A board the user is typing in is refreshed when they leave it, a panel with unsaved input
// (data-queue-keep-dirty) only says that the queue changed. <html data-live="on"> tells tests the room is joined,
// data-queue-version counts the swaps. Other scripts listen to the "queue:changed" document event.
(function () {
  "use strict";
  const script = document.currentScript;  // its data-msg-* attributes carry the translated words
  const root = document.querySelector("[data-queue-hospital]");
  if (!root || typeof window.io !== "function") return;
  const hospital = Number(root.dataset.queueHospital);
  const doctor = root.dataset.queueDoctor ? Number(root.dataset.queueDoctor) : null;
  const status = document.getElementById("live-status");
  const data = (script && script.dataset) || {};
  const words = {
    live: data.msgLive || "Live updates",
    offline: data.msgOffline || "Live updates paused (reconnecting)",
    changed: data.msgChanged || "The queue changed; save your input first to see it.",
  };
  const say = (text) => { if (status) status.textContent = text; };
  const busy = new WeakMap();

  function isEditing(el) {
    const active = document.activeElement;
    return active && el.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) && active.value !== "";
  }

  async function refresh(el) {
    if (el.dataset.dirty === "1") { say(words.changed); return; }
    if (isEditing(el)) {  // do not pull the field from under the user's fingers
      el.addEventListener("focusout", () => setTimeout(() => refresh(el), 0), { once: true });
      return;
    }
    if (busy.get(el)) { busy.set(el, "again"); return; }
    busy.set(el, true);
    try {
      const res = await fetch(el.dataset.queueUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
      if (res.ok) {
        el.innerHTML = await res.text();
        el.dataset.queueVersion = String(Number(el.dataset.queueVersion || 0) + 1);
        el.classList.remove("queue-flash"); void el.offsetWidth; el.classList.add("queue-flash");
      }
    } finally {
      const again = busy.get(el) === "again";
      busy.delete(el);
      if (again) refresh(el);
    }
  }

  const refreshAll = () => document.querySelectorAll("[data-queue-url]").forEach(refresh);

  document.querySelectorAll("[data-queue-keep-dirty]").forEach((el) => {
    el.addEventListener("input", () => { el.dataset.dirty = "1"; });
  });

  const socket = window.io();
  let joinedBefore = false;
  socket.on("connect", () => {
    socket.emit("watch_queue", { hospital_id: hospital }, (reply) => {
      if (reply && reply.ok === false) return;
      document.documentElement.dataset.live = "on";
      say(words.live);
      if (joinedBefore) refreshAll();  // events missed while disconnected
      joinedBefore = true;
    });
  });
  socket.on("disconnect", () => { delete document.documentElement.dataset.live; say(words.offline); });
  socket.on("queue.changed", (event) => {
    if (Number(event.hospital_id) !== hospital) return;
    document.dispatchEvent(new CustomEvent("queue:changed", { detail: event }));
    if (doctor !== null && Number(event.doctor_id) !== doctor) return;
    refreshAll();
  });
})();
