/* Home-page charts: every <div data-chart="ID"> is drawn with ECharts from the option
   object in <script type="application/json" id="ID"> (json_script: data, not code, so
   the Content-Security-Policy stays strict). Series of kind "bar"/"line" with
   category axes are all the widgets need; the server writes the whole option. */
(function () {
  "use strict";
  function draw() {
    if (typeof echarts === "undefined") { return; }
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.dataset.chart);
      if (!source) { return; }
      var option = JSON.parse(source.textContent);
      option.tooltip = option.tooltip || { trigger: "axis" };
      option.grid = option.grid || { left: 8, right: 8, top: 32, bottom: 8, containLabel: true };
      var chart = echarts.init(element, null, { renderer: "svg" });
      chart.setOption(option);
      element.dataset.chartReady = "1";
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) { chart.resize(); });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
