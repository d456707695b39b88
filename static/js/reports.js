// The dashboards' charts (docs/reports.md): each canvas carries its labels and series in data-chart, written by the
// server; the same numbers are in the table beside it and in its CSV. Chart.js comes from static/vendor.
(function () {
  "use strict";
  const colours = ["#0d6efd", "#dc3545", "#198754", "#fd7e14"];
  document.querySelectorAll("canvas.report-chart").forEach((canvas) => {
    const data = JSON.parse(canvas.dataset.chart);
    if (!window.Chart || !data.labels.length) return;
    new window.Chart(canvas, {
      type: canvas.dataset.kind,
      data: {
        labels: data.labels,
        datasets: data.series.map((s, i) => ({
          label: s.label, data: s.data, borderColor: colours[i % colours.length],
          backgroundColor: colours[i % colours.length], spanGaps: true,
        })),
      },
      options: {
        indexAxis: canvas.dataset.axis || "x", responsive: true, maintainAspectRatio: false, animation: false,
        scales: { y: { beginAtZero: true } },
      },
    });
  });
})();
