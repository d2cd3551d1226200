// Page behaviour declared with data attributes, so no page needs inline event handlers
// (the Content-Security-Policy allows scripts from our own static files only):
//   <select data-submit-on-change>      submits its form when the value changes;
//   <form data-confirm="question?">     asks before submitting.
(function () {
  if (window.htmx) {
    // hx-on attributes would evaluate strings: never, whatever a page contains.
    window.htmx.config.allowEval = false;
  }
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-submit-on-change]") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.dataset && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
    }
  }, true);
})();
