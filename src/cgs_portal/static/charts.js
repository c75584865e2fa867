/* 統計查詢 charts: Chart.js reads the figures from the page's JSON block (never inline script).
   The HTML table stays the primary content; suppressed cells arrive as null and are not drawn. */
(function () {
  "use strict";
  var canvas = document.getElementById("stats-chart");
  var source = document.getElementById("stats-chart-data");
  if (!canvas || !source || typeof window.Chart === "undefined") { return; }
  var spec;
  try { spec = JSON.parse(source.textContent || "{}"); } catch (e) { return; }
  if (!spec || !spec.datasets || !spec.datasets.length) { return; }
  var palette = ["#0b5394", "#b45f06", "#38761d", "#741b47", "#134f5c", "#7f6000"];
  var datasets = spec.datasets.map(function (d, i) {
    return {
      label: d.label, data: d.data, spanGaps: false,
      backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length],
      fill: false, tension: 0
    };
  });
  var font = { family: "'Noto Sans CJK TC', 'Noto Sans TC', 'Microsoft JhengHei', sans-serif" };
  window.Chart.defaults.font.family = font.family;
  window.cgsStatsChart = new window.Chart(canvas, {
    type: spec.type === "line" ? "line" : "bar",
    data: { labels: spec.labels, datasets: datasets },
    options: {
      responsive: true,
      animation: false,
      plugins: { title: { display: true, text: spec.title }, legend: { position: "bottom" } },
      scales: {
        x: { stacked: !!spec.stacked },
        y: { stacked: !!spec.stacked, beginAtZero: true, ticks: { precision: 0 } }
      }
    }
  });
  canvas.setAttribute("data-chart-ready", "1");
}());
