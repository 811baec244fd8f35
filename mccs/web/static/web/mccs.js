/* MCCS — small progressive enhancements. Every page works without this file; it only adds:
   - a confirmation before destructive actions: any submit button with data-confirm="question";
   - feedback when an htmx action fails (server error, or the network is down) instead of silence.
   A session that ended is handled on the server: htmx gets HX-Redirect to the sign-in page. */
(function () {
  "use strict";

  // Capture phase on the document runs before htmx's own listener on the form, so "Cancel" stops both the
  // ordinary submission and the htmx request.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var question = button && button.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  function announce(text) {
    var box = document.getElementById("action-status");
    if (!box) { return; }
    box.textContent = text;
    box.hidden = false;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    announce(status === 429
      ? "Too many attempts in a short time. Wait a minute, then try again."
      : "That did not work (error " + status + "). Nothing was changed. Reload the page and try again.");
  });
  document.addEventListener("htmx:sendError", function () {
    announce("The server could not be reached. Check your connection, then try again. Nothing was changed.");
  });
  document.addEventListener("htmx:beforeRequest", function () {
    var box = document.getElementById("action-status");
    if (box) { box.hidden = true; }
  });
}());
