// Telemetry charts of one station (ECharts, vendored): waiting tickets, the unacknowledged backlog, the host.
(function () {
  const box = document.getElementById("charts");
  if (!box || !window.echarts) return;
  const labels = JSON.parse(box.dataset.labels);
  const charts = ["chart-queue", "chart-outbox", "chart-host"].map((id) => echarts.init(document.getElementById(id)));
  function line(name, data, axis) { return { name, type: "line", data, showSymbol: false, yAxisIndex: axis || 0, connectNulls: false }; }
  function option(times, series, two) {
    return { animation: false, tooltip: { trigger: "axis" }, legend: { top: 0 }, grid: { left: 48, right: two ? 48 : 16, top: 32, bottom: 28 },
             xAxis: { type: "category", data: times }, yAxis: two ? [{ type: "value" }, { type: "value" }] : { type: "value", minInterval: 1 }, series };
  }
  function load(hours) {
    fetch(box.dataset.url + "?hours=" + hours, { credentials: "same-origin" }).then((r) => r.json()).then((d) => {
      charts[0].setOption(option(d.times, [line(labels.tickets, d.tickets_waiting), line(labels.printer, d.printer_ok)]), true);
      charts[1].setOption(option(d.times, [line(labels.outbox, d.outbox_depth), line(labels.age, d.oldest_age_min, 1)], true), true);
      charts[2].setOption(option(d.times, [line(labels.cpu, d.cpu_temp_c), line(labels.load, d.load1, 1)], true), true);
      box.dataset.loaded = String(d.times.length);
    });
  }
  document.querySelectorAll(".chart-tools button").forEach((b) => b.addEventListener("click", () => load(b.dataset.hours)));
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
  load(24);
  setInterval(() => load(24), 60000);
})();
