/* Per-layer figure galleries: a page of figures at a time, with previous/next buttons
 * and a menu of the layers. Without this script every figure of the gallery shows,
 * one after the other; with it, the reader pages through them. The page of a layer
 * opens when the URL's hash names one of its figures (a link from the Figures page). */
(function () {
  "use strict";

  function build(root) {
    if (root.hasAttribute("data-gallery-init")) return; // never twice (DOMContentLoaded + document$)
    root.setAttribute("data-gallery-init", "");
    var items = Array.prototype.slice.call(root.querySelectorAll(":scope > .figure-gallery__item"));
    var size = Math.max(1, parseInt(root.getAttribute("data-page-size"), 10) || 4);
    var pages = Math.ceil(items.length / size);
    if (pages < 2) return;
    var nav = document.createElement("div");
    nav.className = "figure-gallery__nav";
    var options = items.map(function (item, i) {
      var option = document.createElement("option");
      option.value = String(Math.floor(i / size));
      option.textContent = item.getAttribute("data-layer") || "figure " + (i + 1);
      return option;
    });
    var prev = button("← previous"), next = button("next →");
    var label = document.createElement("span");
    label.className = "figure-gallery__page";
    label.setAttribute("aria-live", "polite");
    var menu = document.createElement("select");
    menu.setAttribute("aria-label", "jump to a layer");
    options.forEach(function (o) { menu.appendChild(o); });
    nav.appendChild(prev); nav.appendChild(label); nav.appendChild(next); nav.appendChild(menu);
    root.insertBefore(nav, root.firstChild);
    var page = 0;

    function show(p) {
      page = Math.min(Math.max(p, 0), pages - 1);
      items.forEach(function (item, i) { item.hidden = Math.floor(i / size) !== page; });
      label.textContent = "layers " + (page * size + 1) + "–" + Math.min((page + 1) * size, items.length) +
        " of " + items.length;
      prev.disabled = page === 0;
      next.disabled = page === pages - 1;
      menu.value = String(page);
    }
    function button(text) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "md-button figure-gallery__button";
      b.textContent = text;
      return b;
    }
    prev.addEventListener("click", function () { show(page - 1); });
    next.addEventListener("click", function () { show(page + 1); });
    menu.addEventListener("change", function () { show(parseInt(menu.value, 10)); });
    function fromHash() {
      var id = decodeURIComponent(location.hash.slice(1));
      var hit = id ? items.findIndex(function (item) { return item.querySelector('[id="' + CSS.escape(id) + '"]'); }) : -1;
      if (hit >= 0) { show(Math.floor(hit / size)); return true; }
      return false;
    }
    window.addEventListener("hashchange", fromHash);
    if (!fromHash()) show(0);
  }

  function initAll() { document.querySelectorAll(".figure-gallery").forEach(build); }

  if (window.document$ && typeof window.document$.subscribe === "function") window.document$.subscribe(initAll);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", initAll);
  else initAll();
})();
