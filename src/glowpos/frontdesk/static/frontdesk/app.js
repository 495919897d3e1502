/* GlowPOS front desk — the little the server cannot do: keyboard moves in the search results,
   the payment split's arithmetic as you type, once-only forms, print. No build step. */
(function () {
  "use strict";

  var inr = new Intl.NumberFormat("en-IN", { style: "currency", currency: "INR" });
  function rupees(paise) { return inr.format(paise / 100); }

  // ---- Search: ↑/↓ choose, Enter opens the chosen (or first) client, Esc closes. ----
  function options() {
    var box = document.getElementById("search-results");
    return box ? Array.prototype.slice.call(box.querySelectorAll("[role=option]")) : [];
  }
  function choose(list, index) {
    list.forEach(function (el, i) { el.setAttribute("aria-selected", i === index ? "true" : "false"); });
    var q = document.getElementById("q");
    if (q && list[index]) { q.setAttribute("aria-activedescendant", list[index].id); }
  }
  document.addEventListener("keydown", function (e) {
    var q = document.getElementById("q");
    if (!q) { return; }
    if (e.key === "/" && !/^(INPUT|TEXTAREA|SELECT)$/.test(document.activeElement.tagName)) {
      e.preventDefault(); q.focus(); q.select(); return;
    }
    if (e.target !== q) { return; }
    var list = options();
    var current = list.findIndex(function (el) { return el.getAttribute("aria-selected") === "true"; });
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!list.length) { return; }
      e.preventDefault();
      var step = e.key === "ArrowDown" ? 1 : -1;
      choose(list, ((current < 0 ? (step > 0 ? -1 : 0) : current) + step + list.length) % list.length);
    } else if (e.key === "Enter") {
      if (document.getElementById("search-results").dataset.stale) { return; }  // server opens the first
      var pick = list[current] || list[0];
      if (pick) { e.preventDefault(); window.location.href = pick.href; }
      // No results shown yet: the form submits and the server opens the first match.
    } else if (e.key === "Escape") {
      document.getElementById("search-results").innerHTML = "";
      q.setAttribute("aria-expanded", "false");
    }
  });
  document.addEventListener("input", function (e) {
    // Typed since the list was drawn: it may not match any more until the next answer.
    if (e.target.id === "q") { document.getElementById("search-results").dataset.stale = "1"; }
  });
  document.addEventListener("htmx:afterSwap", function (e) {
    if (e.target.id === "search-results") {
      delete e.target.dataset.stale;
      var q = document.getElementById("q");
      if (q) { q.setAttribute("aria-expanded", options().length ? "true" : "false"); }
    }
  });
  document.addEventListener("click", function (e) {
    var box = document.getElementById("search-results");
    if (box && !e.target.closest(".search")) { box.innerHTML = ""; }
  });

  // ---- Once-only forms (Close bill, Redeem): a second click while the first is on its way
  //      does nothing. The server is idempotent too; this only spares the round trip. ----
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-once")) { return; }
    if (form.dataset.sent) { e.preventDefault(); return; }
    form.dataset.sent = "1";
    form.querySelectorAll("button").forEach(function (b) { b.classList.add("busy"); });
  });
  window.addEventListener("pageshow", function () {   // back button: forms usable again
    document.querySelectorAll("form[data-sent]").forEach(function (f) {
      delete f.dataset.sent;
      f.querySelectorAll("button").forEach(function (b) { b.classList.remove("busy"); });
    });
  });

  // ---- Payment split: the remainder goes to the field last asked to take it ("Rest", cash
  //      by default); change due is cash received minus the cash part. ----
  function paise(input) {
    var text = (input.value || "").replace(/[₹,\s]/g, "");
    if (!text) { return 0; }
    if (!/^\d{1,9}(\.\d{1,2})?$/.test(text)) { return NaN; }
    var parts = text.split(".");
    return parseInt(parts[0], 10) * 100 + parseInt(((parts[1] || "") + "00").slice(0, 2), 10);
  }
  function asValue(p) { return p % 100 ? (p / 100).toFixed(2) : String(p / 100); }
  function payFields(form) {
    return Array.prototype.slice.call(form.querySelectorAll("input[name^=pay_]"));
  }
  function refresh(form) {
    var due = parseInt(form.dataset.due, 10) || 0;
    var sum = 0, bad = false;
    payFields(form).forEach(function (f) { var v = paise(f); if (isNaN(v)) { bad = true; } else { sum += v; } });
    var check = form.querySelector("[data-balance]");
    if (check) {
      var left = due - sum;
      check.classList.toggle("ok", !bad && left === 0);
      check.textContent = bad ? "Type amounts like 1500 or 1500.50."
        : left === 0 ? "✓ Payments match the amount due."
        : left > 0 ? rupees(left) + " still to allocate."
        : rupees(-left) + " more than the amount due.";
    }
    var cash = form.querySelector("input[name=pay_cash]");
    var received = form.querySelector("input[name=cash_received]");
    var change = form.querySelector("[data-change]");
    if (cash && received && change) {
      var r = paise(received), c = paise(cash);
      change.textContent = (!isNaN(r) && !isNaN(c) && r > 0)
        ? (r >= c ? "Change " + rupees(r - c) : "Short " + rupees(c - r)) : "";
    }
  }
  function fillRest(form, name) {
    var due = parseInt(form.dataset.due, 10) || 0;
    var target = form.querySelector("input[name=" + name + "]");
    var others = 0;
    payFields(form).forEach(function (f) { if (f !== target) { var v = paise(f); others += isNaN(v) ? 0 : v; } });
    target.value = asValue(Math.max(0, due - others));
  }
  document.addEventListener("input", function (e) {
    var form = e.target.closest && e.target.closest("form[data-pay]");
    if (!form) { return; }
    var rest = form.dataset.rest || "pay_cash";
    if (/^pay_/.test(e.target.name) && e.target.name !== rest) { fillRest(form, rest); }
    refresh(form);
  });
  document.addEventListener("click", function (e) {
    var button = e.target.closest && e.target.closest("[data-rest]");
    if (button) {
      var form = button.closest("form[data-pay]");
      form.dataset.rest = button.dataset.rest;
      fillRest(form, button.dataset.rest);
      refresh(form);
      form.querySelector("input[name=" + button.dataset.rest + "]").focus();
      return;
    }
    if (e.target.closest && e.target.closest("[data-print]")) { window.print(); }
  });

  function init(root) {
    (root.querySelectorAll ? root : document).querySelectorAll("form[data-pay]").forEach(refresh);
    var focus = document.querySelector("[data-focus]");
    if (focus) {
      focus.focus();
      try { focus.setSelectionRange(focus.value.length, focus.value.length); } catch (err) { /* type=email */ }
    }
  }
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (e) { init(e.target); });
})();
