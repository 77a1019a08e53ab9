// Progressive enhancement only: every page works without this script.
(function () {
  "use strict";

  // A form sent back with errors: move focus to its summary, so a screen reader reads the
  // problems first and a keyboard user starts from the links to each field.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // Check file sizes before a long upload, so a too-large file is caught at once and the
  // rest of the form is kept.
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(function (input) {
    var box = document.getElementById("file-check");
    var maxBytes = parseInt(input.dataset.maxBytes, 10);
    var maxFiles = parseInt(input.dataset.maxFiles, 10);
    function problems() {
      var out = [];
      if (input.files.length > maxFiles) out.push("Attach at most " + maxFiles + " files at a time.");
      Array.prototype.forEach.call(input.files, function (f) {
        if (f.size > maxBytes) {
          out.push("“" + f.name + "” is " + (f.size / 1048576).toFixed(1) +
                   " MB; the limit is " + Math.floor(maxBytes / 1048576) + " MB.");
        } else if (f.size === 0) {
          out.push("“" + f.name + "” is empty.");
        }
      });
      return out;
    }
    function show(list) {
      if (!box) return;
      box.textContent = list.join(" ");
      box.classList.toggle("d-none", list.length === 0);
    }
    input.addEventListener("change", function () { show(problems()); });
    input.form.addEventListener("submit", function (event) {
      var list = problems();
      if (list.length) { event.preventDefault(); show(list); input.focus(); }
    });
  });

  // Claims: the "where and how" box opens when its criterion is ticked.
  document.querySelectorAll("[data-claim]").forEach(function (row) {
    var box = row.querySelector("input[type=checkbox]");
    var why = row.querySelector("[data-rationale]");
    if (!box || !why) return;
    var area = why.querySelector("textarea");
    if (area) box.setAttribute("aria-controls", area.id);
    function sync() {
      var open = box.checked || (area && area.classList.contains("is-invalid"));
      why.hidden = !open;
      box.setAttribute("aria-expanded", open ? "true" : "false");
    }
    box.addEventListener("change", function () { sync(); if (box.checked && area) area.focus(); });
    sync();
  });

  // An export's progress page: update in place (no reload, focus stays where it is), say each
  // new step to screen readers, and when it ends show the result and focus its first link.
  var progress = document.querySelector("[data-progress-url]");
  if (progress && window.fetch) {
    var said = progress.querySelector("[data-progress-said]");
    var bar = progress.querySelector("progress");
    var poll = function () {
      fetch(progress.dataset.progressUrl, {credentials: "same-origin", cache: "no-store"})
        .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
        .then(function (job) {
          if (job.status === "waiting" || job.status === "queued" || job.status === "running") {
            progress.querySelector("[data-progress-step]").textContent = job.step;
            progress.querySelector("[data-progress-percent]").textContent = job.percent;
            bar.value = job.percent;
            bar.textContent = job.percent + "%";
            if (said.textContent !== job.step) said.textContent = job.step;
            window.setTimeout(poll, 2000);
            return;
          }
          return fetch(progress.dataset.pageUrl, {credentials: "same-origin"})
            .then(function (r) { return r.text(); })
            .then(function (html) {
              var fresh = new DOMParser().parseFromString(html, "text/html")
                .getElementById("job-result");
              var here = document.getElementById("job-result");
              if (!fresh || !here) { window.location.reload(); return; }
              here.replaceWith(fresh);
              var target = fresh.querySelector("a.btn, button, [role=alert]");
              if (target) {
                if (!target.matches("a, button")) target.setAttribute("tabindex", "-1");
                target.focus();
              }
            });
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }

  // Registered last, so it sees the checks above: a form they stop stays usable.
  // A form marked data-once sends once: a double click or double tap does not submit twice.
  document.querySelectorAll("form[data-once]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (event.defaultPrevented) return;
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      form.querySelectorAll("[type=submit]").forEach(function (b) {
        b.setAttribute("aria-disabled", "true");
        b.classList.add("disabled");
      });
    });
  });
  // Coming back with the browser's back button re-enables the form.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      delete form.dataset.sent;
      form.querySelectorAll("[type=submit]").forEach(function (b) {
        b.removeAttribute("aria-disabled");
        b.classList.remove("disabled");
      });
    });
  });

})();
