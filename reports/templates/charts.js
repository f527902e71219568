// report.html's interactive charts: every <div class="chart" data-option="ID"> is drawn by ECharts
// from the JSON option in <script type="application/json" id="ID"> (reports/interactive.py builds
// them). An option is plain JSON, so the functions ECharts needs (tooltips, axis labels) are made
// here from its "lgFormat" specs; numbers read as the report's tables show them.
(function () {
  "use strict";
  var page = JSON.parse(document.getElementById("chart-formats").textContent);

  function fixed(v, decimals) {
    // Round half to even, as Python's format() does for the tables.
    return v.toLocaleString("en-US", {
      minimumFractionDigits: decimals, maximumFractionDigits: decimals, roundingMode: "halfEven"
    });
  }

  function msDecimals(v) {
    for (var i = 0; i < page.msDecimals.length; i++) {
      if (v < page.msDecimals[i][0]) return page.msDecimals[i][1];
    }
    return 0;
  }

  function percentileOf(nines) {
    var q = 100 * (1 - Math.pow(10, -nines));
    return Number(q.toFixed(Math.max(0, Math.ceil(nines - 1e-9)))) + "%";
  }

  function formatter(spec) {
    if (spec.nines) return percentileOf;
    if (spec.ms) return function (v) { return fixed(v, msDecimals(v)); };
    return function (v) { return fixed(v, spec.decimals) + (spec.suffix || ""); };
  }

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function axisTooltip(option) {
    var formatX = formatter(option.lgXFormat);
    var rows = option.series.map(function (s) { return { label: s.lgLabel, format: formatter(s.lgFormat) }; });
    return function (params) {
      if (!params.length) return "";
      var lines = [escapeHtml(formatX(params[0].axisValue))];
      params.forEach(function (p) {
        var row = rows[p.seriesIndex], y = p.value[1];
        lines.push(p.marker + escapeHtml(row.label) + ": <b>" + (y == null ? "–" : escapeHtml(row.format(y))) + "</b>");
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
