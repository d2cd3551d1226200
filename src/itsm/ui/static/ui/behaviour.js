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
// <input type="checkbox" data-select-all="ids"> ticks or unticks every box named "ids".
document.addEventListener("change", function (event) {
  var el = event.target;
  if (el.matches && el.matches("[data-select-all]")) {
    document.querySelectorAll('input[type="checkbox"][name="' + el.dataset.selectAll + '"]')
      .forEach(function (box) { box.checked = el.checked; });
  }
});
// Keyboard shortcuts (shown by "?"): "/" search, "j"/"k" next/previous row of a list,
// Enter opens it, "c" creates a record where the page offers it. Not while typing.
(function () {
  var row = -1;
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  function rows() { return document.querySelectorAll("table.records tbody tr"); }
  function mark(next) {
    var all = rows();
    if (!all.length) { return; }
    if (row >= 0 && all[row]) { all[row].classList.remove("table-active"); }
    row = Math.max(0, Math.min(all.length - 1, next));
    all[row].classList.add("table-active");
    all[row].scrollIntoView({ block: "nearest" });
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) { return; }
    var help = document.getElementById("shortcuts-help");
    if (event.key === "/") {
      var search = document.getElementById("nav-search-q");
      if (search) { event.preventDefault(); search.focus(); }
    } else if (event.key === "j") {
      mark(row + 1);
    } else if (event.key === "k") {
      mark(row - 1);
    } else if (event.key === "Enter" && row >= 0) {
      var link = rows()[row] && rows()[row].querySelector("a[href]");
      if (link) { window.location.href = link.href; }
    } else if (event.key === "c") {
      var create = document.getElementById("new-record");
      if (create) { window.location.href = create.href; }
    } else if (event.key === "?" && help && window.bootstrap) {
      window.bootstrap.Modal.getOrCreateInstance(help).toggle();
    }
  });
})();
// Type-ahead person picker over the API:
//   <input data-pick="/api/people/pick/?for=assignee" data-pick-into="field-id" list="…">
// offers the matching people (姓名 (teams)) in its <datalist> as one types, and puts
// the chosen person's id into the hidden input "field-id" (empty until one is chosen).
(function () {
  var timer = null;
  function chosen(input) {
    var list = input.list;
    var hidden = document.getElementById(input.dataset.pickInto);
    if (!hidden) { return; }
    hidden.value = "";
    if (!list) { return; }
    Array.prototype.forEach.call(list.options, function (option) {
      if (option.value === input.value) { hidden.value = option.dataset.id; }
    });
  }
  function offer(input) {
    var asked = input.value.replace(/\s*\(.*$/, "").trim();
    var url = input.dataset.pick + (input.dataset.pick.indexOf("?") < 0 ? "?" : "&") +
      "q=" + encodeURIComponent(asked);
    input.dataset.pickAsked = asked;
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : []; })
      .then(function (people) {
        var list = input.list;
        // An answer to an earlier question, overtaken by what was typed since.
        if (!list || input.dataset.pickAsked !== asked) { return; }
        list.replaceChildren.apply(list, people.map(function (person) {
          var option = document.createElement("option");
          option.value = person.label;
          option.dataset.id = person.id;
          return option;
        }));
        chosen(input);
      });
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!(input.matches && input.matches("[data-pick]"))) { return; }
    chosen(input);
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { offer(input); }, 150);
  });
  document.addEventListener("focusin", function (event) {
    var input = event.target;
    if (input.matches && input.matches("[data-pick]") && input.list && !input.list.options.length) {
      offer(input);
    }
  });
})();
