// Live availability: join the Socket.IO room of every doctor whose slots are on the page, then hide (search
// results, data-live-mode="hide") or mark booked (boards, data-live-mode="mark") the slots a `slot.changed`
// event touches, and restore them when they are freed. <html data-live="on"> tells tests the rooms are joined.
(function () {
  "use strict";
  const slots = () => Array.from(document.querySelectorAll("[data-slot]"));
  const doctors = Array.from(new Set(slots().map((el) => Number(el.dataset.doctor))));
  if (!doctors.length || typeof window.io !== "function") return;

  const status = document.getElementById("live-status");
  const say = (text) => { if (status) status.textContent = text; };
  const german = document.documentElement.lang === "de";
  const words = german
    ? { taken: "Ein Termin wurde soeben vergeben.", freed: "Ein Termin ist wieder frei." }
    : { taken: "An appointment was just booked by someone else.", freed: "An appointment has just become free." };

  const overlaps = (el, start, end) => Date.parse(el.dataset.start) < end && start < Date.parse(el.dataset.end);

  function refreshDays() {
    document.querySelectorAll("[data-slot-day]").forEach((day) => {
      day.hidden = !day.querySelector("[data-slot]:not([hidden])");
    });
  }

  function show(el, free) {
    if (el.dataset.liveMode === "hide") el.hidden = !free;
    else el.dataset.state = free ? "free" : "booked";
    if (free) { el.classList.remove("slot-flash"); void el.offsetWidth; el.classList.add("slot-flash"); }
  }

  function apply(event) {
    const start = Date.parse(event.start);
    const end = Date.parse(event.end);
    let changed = 0;
    slots().forEach((el) => {
      if (Number(el.dataset.doctor) !== Number(event.doctor_id) || !overlaps(el, start, end)) return;
      const taken = Number(el.dataset.liveTaken || 0);  // bookings this page saw land on the slot
      if (event.status === "booked") {
        el.dataset.liveTaken = String(taken + 1);
        show(el, false);
        changed += 1;
      } else if (taken > 0) {
        el.dataset.liveTaken = String(taken - 1);
        if (taken === 1) { show(el, true); changed += 1; }
      } else if (el.dataset.state === "booked" && Date.parse(el.dataset.start) === start) {
        show(el, true);  // booked when the page was drawn, free now
        changed += 1;
      }
    });
    if (changed) {
      refreshDays();
      say(event.status === "booked" ? words.taken : words.freed);
    }
  }

  const socket = window.io();
  socket.on("connect", () => {
    socket.emit("watch", { doctors: doctors }, (reply) => {
      if (reply && reply.ok) document.documentElement.dataset.live = "on";
    });
  });
  socket.on("disconnect", () => { delete document.documentElement.dataset.live; });
  socket.on("slot.changed", apply);
})();
