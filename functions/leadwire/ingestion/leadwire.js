/* Leadwire on-site messages: shows the visitor's first pending message as a dialog and reports
 * impressions (onsite_shown), clicks (onsite_clicked) and dismissals (onsite_dismissed).
 *
 * <script src="https://API/v1/leadwire.js" data-write-key="KEY" async></script>
 * Optional: data-api (default: where this script came from), data-user-id (default: analytics.js's
 * ajs_user_id, else ajs_anonymous_id, from localStorage or cookies). No dependencies. */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__leadwireOnsite) return;
  window.__leadwireOnsite = true;
  var data = script.dataset;
  var writeKey = data.writeKey;
  var api = (data.api || script.src.replace(/\/leadwire\.js(\?.*)?$/, "")).replace(/\/$/, "");

  function stored(name) {
    var value = null;
    try { value = window.localStorage.getItem(name); } catch (e) { /* storage blocked */ }
    if (!value) {
      var match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
      value = match ? decodeURIComponent(match[1]) : null;
    }
    if (!value) return null;
    try { var parsed = JSON.parse(value); return typeof parsed === "string" ? parsed : String(parsed); }
    catch (e) { return value; } // analytics.js stores JSON strings; other writers plain text
  }

  var userId = data.userId || stored("ajs_user_id");
  var anonymousId = userId ? null : stored("ajs_anonymous_id");
  if (!writeKey || !(userId || anonymousId)) return;
  var who = userId ? { userId: userId } : { anonymousId: anonymousId };

  function track(event, messageId) {
    var body = {
      type: "track", event: event, writeKey: writeKey, properties: { message_id: messageId },
      messageId: "lw-" + event + "-" + messageId + "-" + Date.now().toString(36),
      context: { page: { url: location.href } }
    }; // no timestamp: the API stamps the arrival, so a visitor's wrong clock cannot misdate it
    for (var k in who) body[k] = who[k];
    // text/plain keeps this a simple request (no preflight); keepalive survives the CTA's navigation.
    return fetch(api + "/track", {
      method: "POST", body: JSON.stringify(body), keepalive: true,
      headers: { "Content-Type": "text/plain" }
    }).catch(function () { /* an impression lost is not worth an error on the page */ });
  }

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text) node.textContent = text; // never innerHTML: message text is data, not markup
    return node;
  }

  var CSS = ".lw-backdrop{position:fixed;inset:0;background:rgba(0,0,0,.45);z-index:2147483000;" +
    "display:flex;align-items:center;justify-content:center;font:16px/1.5 system-ui,sans-serif}" +
    ".lw-dialog{background:#fff;color:#1a1a1a;max-width:26em;width:calc(100% - 2em);border-radius:12px;" +
    "padding:1.5em;box-shadow:0 10px 40px rgba(0,0,0,.3);position:relative}" +
    ".lw-dialog h2{margin:0 2em .5em 0;font-size:1.3em}.lw-dialog p{margin:0 0 1.2em}" +
    ".lw-cta{background:#1d4ed8;color:#fff;border:0;border-radius:8px;padding:.6em 1.4em;font:inherit;" +
    "cursor:pointer}.lw-close{position:absolute;top:.6em;right:.6em;background:none;border:0;" +
    "font-size:1.5em;line-height:1;cursor:pointer;color:#444;padding:.2em .4em}" +
    ".lw-cta:focus-visible,.lw-close:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}";

  function show(message) {
    var previous = document.activeElement;
    var style = el("style", {}, CSS);
    var backdrop = el("div", { "class": "lw-backdrop" });
    var dialog = el("div", {
      "class": "lw-dialog", role: "dialog", "aria-modal": "true",
      "aria-labelledby": "lw-title", "aria-describedby": "lw-body"
    });
    var close = el("button", { type: "button", "class": "lw-close", "aria-label": "Close" }, "\u00d7");
    dialog.appendChild(close);
    dialog.appendChild(el("h2", { id: "lw-title" }, message.title));
    dialog.appendChild(el("p", { id: "lw-body" }, message.body));
    var cta = null;
    if (message.cta) {
      cta = el("button", { type: "button", "class": "lw-cta" }, message.cta.label);
      dialog.appendChild(cta);
    }
    backdrop.appendChild(dialog);
    document.head.appendChild(style);
    document.body.appendChild(backdrop);

    function remove() {
      backdrop.remove(); style.remove(); document.removeEventListener("keydown", keys, true);
      if (previous && previous.focus) previous.focus();
    }
    function dismiss() { remove(); track("onsite_dismissed", message.id); }
    function keys(event) {
      if (event.key === "Escape") { event.preventDefault(); dismiss(); return; }
      if (event.key !== "Tab") return;
      var focusable = cta ? [close, cta] : [close]; // keep focus inside the dialog
      var index = focusable.indexOf(document.activeElement);
      var next = event.shiftKey ? index - 1 : index + 1;
      event.preventDefault();
      focusable[(next + focusable.length) % focusable.length].focus();
    }
    close.addEventListener("click", dismiss);
    backdrop.addEventListener("click", function (event) { if (event.target === backdrop) dismiss(); });
    if (cta) cta.addEventListener("click", function () {
      var url = message.cta.url;
      track("onsite_clicked", message.id).then(function () { remove(); location.assign(url); });
    });
    document.addEventListener("keydown", keys, true);
    (cta || close).focus();
    track("onsite_shown", message.id);
  }

  var query = "writeKey=" + encodeURIComponent(writeKey) + "&" +
    (userId ? "userId=" + encodeURIComponent(userId) : "anonymousId=" + encodeURIComponent(anonymousId));
  fetch(api + "/messages?" + query, { credentials: "omit" })
    .then(function (response) { return response.ok ? response.json() : { messages: [] }; })
    .then(function (body) {
      var first = body.messages && body.messages[0];
      if (!first) return;
      if (document.body) show(first);
      else document.addEventListener("DOMContentLoaded", function () { show(first); });
    })
    .catch(function () { /* no messages when the API is unreachable */ });
})();
