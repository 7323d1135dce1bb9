// Keeps the results page live through Server-Sent Events. Without JavaScript the page still
// shows the numbers the server rendered; with it, they follow every committed vote.
(function () {
  "use strict";
  var live = document.getElementById("live");

  function setBar(id, percent) {
    var bar = document.getElementById(id);
    bar.style.width = percent + "%";
    bar.setAttribute("data-percent", String(percent));
  }

  function show(scores) {
    document.getElementById("a-percent").textContent = scores.a_percent + "%";
    document.getElementById("b-percent").textContent = scores.b_percent + "%";
    setBar("a-bar", scores.a_percent);
    setBar("b-bar", scores.b_percent);
    document.getElementById("total").textContent = scores.total_text;
    document.getElementById("stale").hidden = !scores.stale;
  }

  function setLive(state, text) {
    live.setAttribute("data-state", state);
    live.textContent = text;
  }

  setBar("a-bar", document.getElementById("a-bar").getAttribute("data-percent"));
  setBar("b-bar", document.getElementById("b-bar").getAttribute("data-percent"));

  if (!window.EventSource) { return; }
  var source = new EventSource("/events");
  source.addEventListener("open", function () { setLive("live", "Live"); });
  source.addEventListener("error", function () { setLive("reconnecting", "Reconnecting…"); });
  source.addEventListener("scores", function (event) {
    setLive("live", "Live");
    show(JSON.parse(event.data));
  });
})();
