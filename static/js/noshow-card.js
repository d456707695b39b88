// The model card's charts (templates/admin/noshow.html): each canvas carries its points in data-points
// ({"x": [...], "y": [...]}); the table beside it holds the same numbers for readers who cannot see the chart.
(function () {
  "use strict";
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-points]").forEach(function (canvas) {
    var points = JSON.parse(canvas.dataset.points);
    var data = points.x.map(function (x, i) { return { x: x, y: points.y[i] }; });
    var diagonal = canvas.dataset.diagonal === "1";
    var datasets = [{ label: canvas.dataset.label, data: data, borderColor: "#0d6efd", backgroundColor: "#0d6efd",
                      pointRadius: canvas.dataset.kind === "calibration" ? 3 : 0, showLine: true, tension: 0 }];
    if (diagonal) {
      datasets.push({ label: canvas.dataset.reference, data: [{ x: 0, y: 0 }, { x: 1, y: 1 }], borderColor: "#6c757d",
                      borderDash: [4, 4], pointRadius: 0, showLine: true });
    }
    new Chart(canvas, {
      type: "scatter",
      data: { datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: true, aspectRatio: 1.2, animation: false,
        scales: {
          x: { min: 0, max: 1, title: { display: true, text: canvas.dataset.xLabel } },
          y: { min: 0, max: 1, title: { display: true, text: canvas.dataset.yLabel } }
        },
        plugins: { legend: { display: diagonal } }
      }
    });
  });
})();
