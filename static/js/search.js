// The search form: "use my location" fills the hidden lat/lon from the browser; choosing a city clears them;
// the doctor list follows the chosen specialty (GET /api/v1/doctors).
(function () {
  "use strict";
  const form = document.getElementById("search-form");
  if (!form) return;
  const german = document.documentElement.lang === "de";
  const t = german
    ? { locating: "Standort wird ermittelt …", using: "Ihr Standort wird verwendet.", failed: "Der Standort ist nicht verfügbar. Bitte wählen Sie eine Stadt.", any: "Alle Ärztinnen und Ärzte" }
    : { locating: "Finding your location…", using: "Using your location.", failed: "Your location is not available. Please choose a city.", any: "Any doctor" };
  const lat = form.querySelector("[name=lat]");
  const lon = form.querySelector("[name=lon]");
  const city = form.querySelector("[name=city]");
  const statusEl = document.getElementById("location-status");
  const button = document.getElementById("use-location");

  if (button) {
    button.addEventListener("click", () => {
      if (!navigator.geolocation) { statusEl.textContent = t.failed; return; }
      statusEl.textContent = t.locating;
      navigator.geolocation.getCurrentPosition((pos) => {
        lat.value = pos.coords.latitude.toFixed(4);
        lon.value = pos.coords.longitude.toFixed(4);
        city.value = "";
        statusEl.textContent = t.using + " (" + lat.value + ", " + lon.value + ")";
      }, () => { statusEl.textContent = t.failed; }, { timeout: 10000, maximumAge: 600000 });
    });
  }
  if (city) {
    city.addEventListener("change", () => { if (city.value) { lat.value = ""; lon.value = ""; } });
  }

  const specialty = form.querySelector("[name=specialty]");
  const doctor = form.querySelector("[name=doctor]");
  if (specialty && doctor) {
    specialty.addEventListener("change", async () => {
      const keep = doctor.value;
      const url = specialty.value ? "/api/v1/doctors?specialty=" + encodeURIComponent(specialty.value) : null;
      const list = url ? (await (await fetch(url, { headers: { Accept: "application/json" } })).json()).doctors : [];
      doctor.replaceChildren(new Option(t.any, ""));
      list.sort((a, b) => a.name.localeCompare(b.name)).forEach((d) => doctor.add(new Option(d.name, String(d.id))));
      doctor.value = list.some((d) => String(d.id) === keep) ? keep : "";
    });
  }
})();
