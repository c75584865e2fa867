/* The rate pages' trend chart (Chart.js, vendored under static/vendor/chartjs).
   The data come from <script type="application/json" id="rate-chart-data">; the table above
   the chart stays the primary content, so nothing is lost without JavaScript. */
(function () {
  "use strict";
  var source = document.getElementById("rate-chart-data");
  var canvas = document.getElementById("rate-chart");
  if (!source || !canvas || typeof window.Chart === "undefined") { return; }
  var data;
  try { data = JSON.parse(source.textContent); } catch (e) { return; }
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: "準時填報率 %", data: data.on_time, borderColor: "#0a58ca", backgroundColor: "#0a58ca",
          spanGaps: false },
        { label: "填報率 %", data: data.filed, borderColor: "#212529", backgroundColor: "#212529",
          borderDash: [6, 4], spanGaps: false }
      ]
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      scales: { y: { min: 0, max: 100, title: { display: true, text: "%" } } }
    }
  });
}());
