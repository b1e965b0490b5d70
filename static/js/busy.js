// A form marked "busy-form" shows a progress bar and disables its button once sent:
// long files take a few seconds, and a second press would upload them again.
document.querySelectorAll("form.busy-form").forEach(function (form) {
  form.addEventListener("submit", function () {
    var bar = form.querySelector("progress");
    var button = form.querySelector("button");
    if (bar) bar.hidden = false;
    if (button) button.disabled = true;
  });
});
