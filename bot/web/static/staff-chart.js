/* The agent page's daily trend: responses as bars, raw and attributed CSAT as lines (Apache ECharts, served locally). */
(function () {
  "use strict";
  var box = document.getElementById("trend");
  var data = document.getElementById("trend-data");
  if (!box || !data || typeof echarts === "undefined") { return; }
  var points = JSON.parse(data.textContent);
  function pct(v) { return v === null ? null : Math.round(v * 1000) / 10; }
  var chart = echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    color: ["#c5cfdc", "#8a94a3", "#1f5fd6"],
    tooltip: {
      trigger: "axis",
      valueFormatter: function (v) { return v === null || v === undefined ? "—" : String(v); }
    },
    legend: { top: 0, data: ["评分数", "原始满意度 %", "归因满意度 %"] },
    grid: { left: 48, right: 48, top: 40, bottom: 32 },
    xAxis: { type: "category", data: points.map(function (p) { return p.date.slice(5); }) },
    yAxis: [
      { type: "value", name: "满意度 %", min: 0, max: 100 },
      { type: "value", name: "评分数", minInterval: 1, splitLine: { show: false } }
    ],
    series: [
      { name: "评分数", type: "bar", yAxisIndex: 1, data: points.map(function (p) { return p.responses; }) },
      { name: "原始满意度 %", type: "line", connectNulls: true, lineStyle: { type: "dashed" },
        data: points.map(function (p) { return pct(p.raw_csat); }) },
      { name: "归因满意度 %", type: "line", connectNulls: true, lineStyle: { width: 3 },
        data: points.map(function (p) { return pct(p.attributed_csat); }) }
    ]
  });
  box.setAttribute("data-ready", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
