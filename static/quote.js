// Quoting a passage of the evidence for a criterion: select it in the text, choose the
// criterion, press "Quote this for a criterion". Progressive enhancement only: without this
// script the learner copies the passage into the claim's quote box, and the server checks it
// either way (it is sent as text, never as offsets: the server finds where it sits).
(function () {
  "use strict";

  var tool = document.querySelector("[data-quote-tool]");
  if (!tool) return;
  var source = tool.closest("[data-quote-source]");
  var pick = tool.querySelector("[data-quote-for]");
  var button = tool.querySelector("[data-quote-button]");
  var said = source.querySelector("[data-quote-said]");
  var KEY = "quote-handoff";
  var lastBox = null; // the read-only box of text last used (its selection outlives a blur)

  tool.hidden = false;
  source.querySelectorAll("[data-quote-js]").forEach(function (el) { el.hidden = false; });

  function say(words) {
    if (said) said.textContent = words;
  }

  source.querySelectorAll("textarea[data-quote-part]").forEach(function (box) {
    // Chromium lets no keyboard select inside a read-only box (Shift and the arrow keys do
    // nothing): the box stays unchangeable by cancelling every edit instead, and says so.
    var text = box.value;
    box.readOnly = false;
    box.setAttribute("aria-readonly", "true");
    box.addEventListener("beforeinput", function (event) { event.preventDefault(); });
    box.addEventListener("input", function () { // an edit that could not be cancelled
      var at = box.selectionStart;
      box.value = text;
      box.setSelectionRange(at, at);
    });
    ["focus", "select", "mouseup", "keyup"].forEach(function (name) {
      box.addEventListener(name, function () { lastBox = box; });
    });
  });

  // The passage selected: in a read-only box, or in the highlighted text (without the
  // criterion labels and the words for screen readers that the highlighting adds).
  function selected() {
    if (lastBox && lastBox.selectionEnd > lastBox.selectionStart) {
      return lastBox.value.slice(lastBox.selectionStart, lastBox.selectionEnd);
    }
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) return "";
    var range = sel.getRangeAt(0);
    var within = function (node) {
      var el = node && (node.nodeType === 1 ? node : node.parentElement);
      return el && el.closest("[data-quote-part]") && source.contains(el);
    };
    if (!within(range.startContainer) || !within(range.endContainer)) return "";
    var copy = range.cloneContents();
    copy.querySelectorAll(".quote-label, .visually-hidden").forEach(function (el) { el.remove(); });
    return copy.textContent;
  }

  function boxFor(criterion) {
    var boxes = document.querySelectorAll("[data-quote-box]");
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].getAttribute("data-quote-box") === criterion) return boxes[i];
    }
    return null;
  }

  // Put the passage in the criterion's quote box, ticking the criterion if need be.
  function fill(criterion, text) {
    var box = boxFor(criterion);
    if (!box) {
      say("There is no quote box for AC " + criterion + " on this page.");
      return;
    }
    if (box.disabled) {
      say("The claim for AC " + criterion + " has been assessed, so its quote cannot change.");
      return;
    }
    var row = box.closest("[data-claim]");
    var tick = row && row.querySelector("input[type=checkbox]");
    if (tick && !tick.checked && !tick.disabled) {
      tick.checked = true;
      tick.dispatchEvent(new Event("change"));
    }
    box.value = text;
    box.focus();
    say("Quoted for AC " + criterion + ". Say where and how in the box above the quote, " +
        "then save the claims.");
  }

  button.addEventListener("click", function () {
    var text = selected().trim();
    if (!text) {
      say("Select a passage in the text first (with the mouse, or with Shift and the arrow " +
          "keys), then press the button.");
      return;
    }
    var criterion = pick.value;
    var handoff = tool.getAttribute("data-quote-handoff");
    if (handoff) { // the evidence page: the claim forms are on the tagging page
      try {
        window.sessionStorage.setItem(KEY, JSON.stringify(
          {evidence: tool.getAttribute("data-evidence"), criterion: criterion, text: text}));
      } catch (e) {
        say("Your browser did not let this page keep the passage: copy it instead.");
        return;
      }
      window.location.assign(handoff);
      return;
    }
    fill(criterion, text);
  });

  // The tagging page: the criterion being worked on is the one to quote for.
  document.querySelectorAll("[data-claim]").forEach(function (row) {
    row.addEventListener("focusin", function () {
      var box = row.querySelector("[data-quote-box]");
      var id = box && box.getAttribute("data-quote-box");
      if (id && pick.querySelector('option[value="' + id + '"]')) pick.value = id;
    });
  });

  // A passage chosen on the evidence page, brought here.
  var kept = null;
  try { kept = window.sessionStorage.getItem(KEY); } catch (e) { kept = null; }
  if (kept && document.querySelector("[data-quote-box]")) {
    try {
      var data = JSON.parse(kept);
      if (data.evidence === tool.getAttribute("data-evidence")) {
        window.sessionStorage.removeItem(KEY);
        if (pick.querySelector('option[value="' + data.criterion + '"]')) pick.value = data.criterion;
        fill(data.criterion, data.text);
      }
    } catch (e) {
      window.sessionStorage.removeItem(KEY);
    }
  }
})();
