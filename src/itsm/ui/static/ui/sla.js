// Live SLA countdowns: every element with data-due shows the time left or overdue.
(function () {
  function fmt(ms) {
    var minutes = Math.floor(Math.abs(ms) / 60000);
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return (h ? h + " h " : "") + m + " min";
  }
  function tick() {
    document.querySelectorAll(".sla-countdown[data-due]").forEach(function (el) {
      var left = new Date(el.dataset.due) - Date.now();
      el.textContent = left >= 0
        ? "(" + el.dataset.left.replace("{time}", fmt(left)) + ")"
        : "(" + el.dataset.over.replace("{time}", fmt(left)) + ")";
      el.classList.toggle("text-danger", left < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 30000); });
})();
