/* The neighbourhood of a configuration item as an ECharts force-directed graph.
   The data comes from the page (json_script #cmdb-graph-data): no extra request. */
(function () {
  "use strict";
  function draw() {
    var element = document.getElementById("cmdb-graph");
    var source = document.getElementById("cmdb-graph-data");
    if (!element || !source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption({
      animationDuration: 600,
      tooltip: {
        formatter: function (p) {
          return p.dataType === "edge" ? echarts.format.encodeHTML(p.data.label)
            : echarts.format.encodeHTML(p.data.name + " (" + p.data.value + ")");
        }
      },
      legend: [{ data: data.categories.map(function (c) { return c.name; }), top: 8 }],
      series: [{
        type: "graph",
        layout: "force",
        roam: true,
        draggable: true,
        categories: data.categories,
        data: data.nodes.map(function (n) {
          return Object.assign({}, n, {
            label: { show: true, position: "right", fontWeight: n.center ? "bold" : "normal" },
            itemStyle: n.center ? { borderColor: "#212529", borderWidth: 3 } : {}
          });
        }),
        links: data.links.map(function (l) {
          return { source: l.source, target: l.target, label: { show: true, formatter: l.label },
                   value: l.label };
        }),
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 8,
        edgeLabel: { fontSize: 11, color: "#6c757d" },
        lineStyle: { color: "#adb5bd", width: 1.5, curveness: 0.1 },
        force: { repulsion: 900, edgeLength: [140, 220], gravity: 0.05 },
        emphasis: { focus: "adjacency" }
      }]
    });
    chart.on("click", function (params) {
      if (params.dataType === "node" && params.data.url) { window.location.href = params.data.url; }
    });
    window.addEventListener("resize", function () { chart.resize(); });
    element.dataset.rendered = "true";
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
