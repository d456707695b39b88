// Self check-in kiosk: keep the code box focused for the USB/QR scanner (it types the code and presses Enter),
// offer a camera scan where the browser has BarcodeDetector, and return to a clean screen after a result.
(function () {
  "use strict";
  const script = document.currentScript;
  const form = document.getElementById("kiosk-form");
  const input = document.getElementById("code");
  if (!form || !input) return;
  const keepFocus = () => { if (document.activeElement === document.body) input.focus(); };
  document.addEventListener("click", () => setTimeout(keepFocus, 0));
  input.focus();

  // a result stays readable for a while, then the next person gets an empty screen
  if (script.dataset.hasResult) {
    setTimeout(() => { window.location.replace(script.dataset.resetUrl); }, 20000);
  }

  const button = document.getElementById("camera-scan");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  button.hidden = false;
  const box = document.getElementById("camera-box");
  const video = document.getElementById("camera-video");
  const status = document.getElementById("camera-status");
  button.addEventListener("click", async () => {
    let stream;
    try {
      const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
      video.srcObject = stream;
      await video.play();
      box.hidden = false;
      status.textContent = script.dataset.msgScanning;
      const started = Date.now();
      const look = async () => {
        const codes = await detector.detect(video).catch(() => []);
        if (codes.length && codes[0].rawValue) {
          stream.getTracks().forEach((t) => t.stop());
          input.value = codes[0].rawValue;
          form.requestSubmit();
        } else if (Date.now() - started < 60000) {
          requestAnimationFrame(look);
        } else {
          stream.getTracks().forEach((t) => t.stop());
          box.hidden = true;
        }
      };
      look();
    } catch (err) {
      if (stream) stream.getTracks().forEach((t) => t.stop());
      status.textContent = script.dataset.msgNoCamera;
      box.hidden = false;
    }
  });
})();
