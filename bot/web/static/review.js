/* Review queue: number keys pick a cause, Enter saves, S skips; selected words become the evidence span.
   Served as a file: the CSP forbids inline scripts. */
(function () {
  "use strict";
  var form = document.getElementById("label-form");
  if (form) {
    var radios = form.querySelectorAll("input[name=cause]");
    var byKey = {};
    radios.forEach(function (r) { byKey[r.getAttribute("data-key")] = r; });
    var words = document.getElementById("customer-words");
    var evidenceInput = document.getElementById("evidence-input");
    var evidenceShown = document.getElementById("evidence-shown");
    var evidenceClear = document.getElementById("evidence-clear");

    function typing(target) {
      var tag = target && target.tagName;
      return tag === "TEXTAREA" || (tag === "INPUT" && target.type !== "radio") || tag === "SELECT";
    }

    function mark(r) {
      radios.forEach(function (x) { x.parentNode.classList.toggle("is-chosen", x === r); });
    }

    radios.forEach(function (r) { r.addEventListener("change", function () { mark(r); }); });

    document.addEventListener("keydown", function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) { return; }
      var r = byKey[e.key];
      if (r) {
        r.checked = true;
        mark(r);
        r.focus();
        e.preventDefault();
        return;
      }
      if (e.key === "Enter") {
        e.preventDefault();
        if (form.querySelector("input[name=cause]:checked")) { form.requestSubmit(); }
        else { form.querySelector("legend").classList.add("need-choice"); }
        return;
      }
      if (e.key === "s" || e.key === "S") {
        var skip = document.getElementById("skip-form");
        if (skip) { e.preventDefault(); skip.requestSubmit(); }
      }
    });

    function setEvidence(text) {
      evidenceInput.value = text;
      evidenceShown.textContent = text ? "“" + text + "”" : "未标记（可选）";
      evidenceShown.classList.toggle("muted", !text);
      evidenceClear.hidden = !text;
    }

    document.addEventListener("mouseup", function () {
      var sel = window.getSelection();
      if (!sel || sel.isCollapsed || !words.contains(sel.anchorNode) || !words.contains(sel.focusNode)) { return; }
      var text = sel.toString().trim();
      if (text && text.length <= 200) { setEvidence(text); }
    });
    evidenceClear.addEventListener("click", function () { setEvidence(""); });
  }

  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.form.addEventListener("submit", function (e) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
})();
