// Keeps the results page live through Server-Sent Events. Without JavaScript the page still
// shows the numbers the server rendered; with it, they follow every committed vote.
(function () {
  "use strict";
  var live = document.getElementById("live");

  function show(scores) {
    document.getElementById("a-percent").textContent = scores.a_percent + "%";
    document.getElementById("b-percent").textContent = scores.b_percent + "%";
    document.getElementById("a-bar").value = scores.a_percent;
    document.getElementById("b-bar").value = scores.b_percent;
    document.getElementById("a-bar").textContent = scores.a_percent + "%";
    document.getElementById("b-bar").textContent = scores.b_percent + "%";
    document.getElementById("total").textContent = scores.total_text;
    document.getElementById("stale").hidden = !scores.stale;
  }

  function setLive(state, text) {
    live.setAttribute("data-state", state);
    live.textContent = text;
  }

  if (!window.EventSource) { return; }
  setLive("connecting", "Connecting…");
  // EventSource reconnects by itself after an error; the indicator says so meanwhile.
  var source = new EventSource("/events");
  source.addEventListener("open", function () { setLive("live", "Live"); });
  source.addEventListener("error", function () { setLive("reconnecting", "Reconnecting…"); });
  source.addEventListener("scores", function (event) {
    setLive("live", "Live");
    show(JSON.parse(event.data));
  });
})();
