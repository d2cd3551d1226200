// Live SLA countdowns. The server renders each countdown's text; this only advances it.
//
// An SLA clock's countdown (data-windows) counts working time: data-seconds is the
// working time left when the page was rendered (negative: overdue), data-windows the
// calendar's working intervals from then on as [start, end] seconds after the render.
// The countdown moves only inside them, and stands still once past the last one (the
// server's next render continues it). A plain due date (data-due, no windows) counts
// calendar time. Texts come from the page, in its language: data-left / data-over
// ("{time} …") and the duration formats data-hm / data-h / data-m ("{h}", "{m}").
(function () {
  var loaded = Date.now();

  function duration(el, seconds) {
    var minutes = Math.round(Math.abs(seconds) / 60);
    var h = Math.floor(minutes / 60), m = minutes % 60;
    var format = h && m ? el.dataset.hm : (h ? el.dataset.h : el.dataset.m);
    return format.replace("{h}", h).replace("{m}", m);
  }

  function workedSince(windows, until) {
    var total = 0;
    windows.forEach(function (w) {
      var start = Math.max(w[0], 0), end = Math.min(w[1], until);
      if (end > start) { total += end - start; }
    });
    return total;
  }

  function secondsLeft(el, now) {
    if (el.dataset.windows) {
      var windows = JSON.parse(el.dataset.windows);
      var elapsed = (now - loaded) / 1000;
      if (!windows.length || elapsed > windows[windows.length - 1][1]) { return null; }
      return Number(el.dataset.seconds) - workedSince(windows, elapsed);
    }
    if (el.dataset.due) { return (new Date(el.dataset.due) - now) / 1000; }
    return null;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll(".sla-countdown[data-left]").forEach(function (el) {
      var left = secondsLeft(el, now);
      if (left === null || !el.dataset.hm) { return; }
      var format = left >= 0 ? el.dataset.left : el.dataset.over;
      el.textContent = format.replace("{time}", duration(el, left));
      el.classList.toggle("text-danger", left < 0);
      el.classList.toggle("text-muted", left >= 0);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
