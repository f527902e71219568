// report.html's interactive charts: every <div class="chart" data-option="ID"> is drawn by ECharts
// from the JSON option in <script type="application/json" id="ID"> (reports/interactive.py builds
// them). An option is plain JSON, so the functions ECharts needs are made here: the tooltip shows
// each point's text as the report's tables write it (a point is [x, value, text]).
(function () {
  "use strict";

  function percentileOf(nines) {
    // A spectrum position, -log10(1 - q), as its percentile: 1 -> 90%, 2.5 -> 99.684%.
    var q = 100 * (1 - Math.pow(10, -nines));
    return Number(q.toFixed(Math.max(0, Math.ceil(nines - 1e-9)))) + "%";
  }

  function elapsed(unit) {
    return function (v) {
      if (unit === "s") return Number(v.toFixed(3)) + " s since start";
      var s = Math.round(v * 60);
      return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") + " since start";
    };
  }

  function formatter(spec) {
    if (spec.nines) return percentileOf;
    return elapsed(spec.elapsed);
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function axisTooltip(option) {
    var formatX = formatter(option.lgXFormat);
    var labels = option.series.map(function (s) { return s.lgLabel; });
    return function (params) {
      if (!params.length) return "";
      var lines = [escapeHtml(formatX(params[0].axisValue))];
      params.forEach(function (p) {
        lines.push(p.marker + escapeHtml(labels[p.seriesIndex]) + ": <b>" + escapeHtml(p.value[2]) + "</b>");
      });
      return lines.join("<br>");
    };
  }

  function withLabelFormats(axis) {
    (Array.isArray(axis) ? axis : [axis]).forEach(function (a) {
      if (a.axisLabel && a.axisLabel.lgFormat) a.axisLabel.formatter = formatter(a.axisLabel.lgFormat);
    });
  }

  document.querySelectorAll("div.chart[data-option]").forEach(function (el) {
    var option = JSON.parse(document.getElementById(el.dataset.option).textContent);
    option.tooltip.formatter = axisTooltip(option);
    withLabelFormats(option.xAxis);
    withLabelFormats(option.yAxis);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
  });
})();
