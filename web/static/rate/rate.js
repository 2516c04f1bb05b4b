// Progressive enhancement: the form works without this script.
(function () {
  "use strict";
  var form = document.getElementById("rate-form");
  if (!form) return;
  document.documentElement.className += " js";
  var groups = form.querySelectorAll(".label-group");
  var contact = document.getElementById("contact");
  var hint = document.getElementById("labels-hint");
  var labels = form.querySelector("fieldset.labels");

  function chosen() {
    var checked = form.querySelector("input[name=level]:checked");
    return checked ? checked.value : null;
  }

  function update() {
    var level = chosen();
    var any = false;
    for (var i = 0; i < groups.length; i++) {
      var show = groups[i].getAttribute("data-level") === level;
      groups[i].className = "label-group" + (show ? " shown" : "");
      if (show) any = true;
      if (!show) {
        var boxes = groups[i].querySelectorAll("input[type=checkbox]");
        for (var j = 0; j < boxes.length; j++) boxes[j].checked = false;
      }
    }
    if (hint) hint.className = "hint" + (level ? " gone" : "");
    if (labels) labels.style.display = level && !any ? "none" : "";
    if (contact) contact.className = "field contact" + (level ? " shown" : "");
  }

  var radios = form.querySelectorAll("input[name=level]");
  for (var k = 0; k < radios.length; k++) radios[k].addEventListener("change", update);
  var message = document.getElementById("form-error");
  form.addEventListener("submit", function (event) {
    var button = form.querySelector(".submit");
    if (!chosen()) {
      // The page says it, in Chinese (the form is novalidate: no browser bubble).
      event.preventDefault();
      if (message) {
        message.textContent = "请先选择一个评价等级（从“非常满意”到“非常不满意”）。";
        message.hidden = false;
      }
      radios[0].focus();
      return;
    }
    if (button.disabled) { event.preventDefault(); return; }
    button.disabled = true;
    button.textContent = "正在提交…";
  });
  update();
})();
