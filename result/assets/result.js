// Keeps the results page live through Server-Sent Events. Without JavaScript the page still
// shows the numbers the server rendered; with it, they follow every committed vote. Every
// sentence comes from the page's data- attributes, in the page's language.
(function () {
  "use strict";
  var live = document.getElementById("live");
  var total = document.getElementById("total");

  function totalText(n) {
    if (n === 0) { return total.dataset.none; }
    if (n === 1) { return total.dataset.one; }
    return total.dataset.many.replace("{n}", String(n));
  }

  // With no votes the bars stay empty and the percentages blank: 50/50 would read as a tie.
  function showPercent(option, percent, any) {
    var text = any ? percent + "%" : "–";
    document.getElementById(option + "-percent").textContent = text;
    var bar = document.getElementById(option + "-bar");
    bar.value = any ? percent : 0;
    bar.textContent = text;
  }

  function show(scores) {
    var any = scores.total > 0;
    showPercent("a", scores.a_percent, any);
    showPercent("b", scores.b_percent, any);
    total.textContent = totalText(scores.total);
    document.getElementById("stale").hidden = !scores.stale;
  }

  function setLive(state) {
    live.setAttribute("data-state", state);
    live.textContent = live.dataset[state];
  }

  if (!window.EventSource) { return; }
  setLive("connecting");
  // EventSource reconnects by itself after an error; the indicator says so meanwhile. "Live"
  // waits for the first scores: an open stream may still carry stale ones.
  var source = new EventSource("/events");
  source.addEventListener("error", function () { setLive("reconnecting"); });
  source.addEventListener("scores", function (event) {
    var scores = JSON.parse(event.data);
    show(scores);
    // Stale scores (PostgreSQL unreadable) are not live, whatever the stream does.
    setLive(scores.stale ? "waiting" : "live");
  });
})();
