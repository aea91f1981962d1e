// A report's charts (ECharts, vendored): tickets and waits, ratings, check-ins and hours, points, help requests.
(function () {
  const box = document.getElementById("report-charts");
  if (!box || !window.echarts) return;
  const d = JSON.parse(box.dataset.chart), names = JSON.parse(box.dataset.names);
  function series(key, kind, axis) { return { name: names[key], type: kind, data: d[key], yAxisIndex: axis || 0 }; }
  function draw(id, list, two) {
    const chart = echarts.init(document.getElementById("chart-" + id));
    chart.setOption({ animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 },
                      grid: { left: 44, right: two ? 44 : 16, top: 36, bottom: 28 },
                      xAxis: { type: "category", data: d.labels },
                      yAxis: two ? [{ type: "value", minInterval: 1 }, { type: "value" }] : { type: "value", minInterval: 1 },
                      series: list });
    return chart;
  }
  const charts = [
    draw("tickets", [series("tickets", "bar"), series("wait_p50_min", "line", 1), series("wait_p90_min", "line", 1)], true),
    draw("ratings", [series("ratings", "bar"), series("rating_avg", "line", 1)], true),
    draw("visits", [series("checkins", "bar"), series("volunteer_hours", "line", 1)], true),
    draw("points", [series("points_issued", "bar"), series("points_spent", "bar"), series("redemptions", "line", 1)], true),
    draw("help", [series("requests", "bar"), series("requests_done", "bar"), series("satisfaction", "line", 1)], true),
  ];
  box.dataset.drawn = String(charts.length);
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
