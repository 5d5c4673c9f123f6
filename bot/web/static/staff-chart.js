/* The agent page's trend: replies per day as bars; raw and attributed CSAT as running totals since the period's
   first day, so a day with one or two replies does not swing the line from 0 % to 100 % (Apache ECharts, local). */
(function () {
  "use strict";
  var box = document.getElementById("trend");
  var data = document.getElementById("trend-data");
  if (!box || !data || typeof echarts === "undefined") { return; }
  var points = JSON.parse(data.textContent);
  function pct(num, den) { return den ? Math.round(num / den * 1000) / 10 : null; }
  var responses = 0, satisfied = 0, staffLow = 0, raw = [], attributed = [];
  points.forEach(function (p) {
    responses += p.responses; satisfied += p.satisfied; staffLow += p.staff_low;
    raw.push(pct(satisfied, responses));
    attributed.push(pct(satisfied, satisfied + staffLow));
  });
  var chart = echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    animation: false,
    color: ["#c5cfdc", "#8a94a3", "#1f5fd6"],
    tooltip: {
      trigger: "axis",
      valueFormatter: function (v) { return v === null || v === undefined ? "—" : String(v); }
    },
    legend: { top: 0, data: ["每日评分数（右轴）", "累计原始满意度 %", "累计归因满意度 %"] },
    grid: { left: 40, right: 32, top: 64, bottom: 28 },
    xAxis: { type: "category", data: points.map(function (p) { return p.date.slice(5); }) },
    yAxis: [
      { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      { type: "value", minInterval: 1, splitLine: { show: false } }
    ],
    series: [
      { name: "每日评分数（右轴）", type: "bar", yAxisIndex: 1, data: points.map(function (p) { return p.responses; }) },
      { name: "累计原始满意度 %", type: "line", connectNulls: true, lineStyle: { type: "dashed" }, data: raw },
      { name: "累计归因满意度 %", type: "line", connectNulls: true, lineStyle: { width: 3 }, data: attributed }
    ]
  });
  box.setAttribute("data-ready", "1");
  window.addEventListener("resize", function () { chart.resize(); });
})();
