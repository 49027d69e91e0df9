// Live updates: when the audit chain grows (any change, from any process), reload the page,
// unless someone is typing a reason; then say so instead of losing their words.
(function () {
  "use strict";
  var seq = document.body.getAttribute("data-seq");
  if (!seq || seq === "0" || !window.EventSource) return;  // a page without live parts
  var source = new EventSource("/live?seq=" + encodeURIComponent(seq));
  source.addEventListener("change", function () {
    source.close();
    var typing = Array.prototype.some.call(
      document.querySelectorAll("input[name=reason]"),
      function (field) { return field.value.length > 0; }
    );
    if (typing) {
      document.getElementById("live-note").hidden = false;
    } else {
      window.location.reload();
    }
  });
})();
