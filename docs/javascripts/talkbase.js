// Keep "next session" right after the site was built: recompute it from the weekly schedule.
document$.subscribe(function () {
  document.querySelectorAll(".tb-next[data-next]").forEach(function (el) {
    var next = new Date(el.dataset.next);
    var now = new Date();
    if (isNaN(next) || next > now) return;
    var week = 7 * 24 * 3600 * 1000;
    var steps = Math.ceil((now - next) / week);
    var when = new Date(next.getTime() + steps * week);
    el.textContent = when.toLocaleString(document.documentElement.lang || undefined,
      { dateStyle: "full", timeStyle: "short" });
  });
});
