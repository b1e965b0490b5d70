// A page marked data-refresh="N" (a job's progress, a vote's live turnout) reloads itself every
// N seconds while it is on screen, and its button pauses and resumes that: a meta refresh would
// reload with no way to stop it (WCAG 2.2.1), and reload a tab nobody is looking at.
(function () {
  var box = document.querySelector("[data-refresh]");
  if (!box) return;
  var every = parseInt(box.getAttribute("data-refresh"), 10) * 1000;
  var button = box.querySelector("[data-refresh-toggle]");
  var paused = false;
  var timer = null;
  function arm() {
    clearTimeout(timer);
    if (paused) return;
    timer = setTimeout(function () {
      if (document.visibilityState === "hidden") arm();
      else window.location.reload();
    }, every);
  }
  if (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      paused = !paused;
      button.textContent = button.getAttribute(paused ? "data-resume" : "data-pause");
      arm();
    });
  }
  arm();
})();
