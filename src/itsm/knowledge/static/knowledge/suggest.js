/* Knowledge suggestions below a request form: while the person types the title or the
   description, the articles that may help are fetched (an HTML fragment of
   knowledge:suggest, 300 ms after the last key) and shown in #kb-suggest.
   No inline script: the page's Content-Security-Policy forbids it. */
(function () {
  "use strict";
  var DELAY = 300;

  function start() {
    var box = document.getElementById("kb-suggest");
    if (!box || box.dataset.started) { return; }
    box.dataset.started = "1";
    var title = document.getElementById("id_title");
    var description = document.getElementById("id_description");
    // Right below what is being typed (crispy wraps each field in #div_id_<name>), where
    // the person is looking, rather than at the end of a long form.
    var anchor = document.getElementById("div_id_description") ||
      document.getElementById("div_id_title");
    if (anchor && anchor.parentNode && anchor.nextSibling !== box) {
      anchor.parentNode.insertBefore(box, anchor.nextSibling);
    }
    var timer = null;
    var last = null;
    var pending = null;

    function fetchSuggestions() {
      var titleText = title ? title.value.trim() : "";
      var descriptionText = description ? description.value.trim() : "";
      var key = titleText + "\n" + descriptionText;
      if (key === last) { return; }
      last = key;
      if (!titleText && !descriptionText) { box.innerHTML = ""; return; }
      var params = new URLSearchParams({ title: titleText, description: descriptionText.slice(0, 200) });
      if (pending) { pending.abort(); }
      pending = new AbortController();
      fetch(box.dataset.suggestUrl + "?" + params.toString(), {
        credentials: "same-origin", headers: { "X-Requested-With": "fetch" }, signal: pending.signal
      }).then(function (response) {
        return response.ok ? response.text() : "";
      }).then(function (html) {
        box.innerHTML = html;
      }).catch(function () { /* aborted or offline: keep what is shown */ });
    }

    function later() {
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, DELAY);
    }

    [title, description].forEach(function (input) {
      if (input) { input.addEventListener("input", later); }
    });
    if ((title && title.value) || (description && description.value)) { later(); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
