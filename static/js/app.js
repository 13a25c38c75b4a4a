import { initAll } from "../govuk/govuk-frontend.min.js";


// "Skip to main content" leaves #main-content in the address. A form sent from there comes back to that address
// (and a redirect keeps the fragment), so the browser would jump to <main> instead of letting the error summary
// or the success banner take focus. Keep the address clean.
function dropSkipFragment() {
  if (window.location.hash === "#main-content") {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
}
document.querySelectorAll(".govuk-skip-link").forEach((link) => {
  link.addEventListener("click", () => window.setTimeout(dropSkipFragment, 0));
});
dropSkipFragment();

document.body.classList.add("js-enabled", "govuk-frontend-supported");
initAll();

// A table that is wider than the screen scrolls in its box (.app-table-scroll): name the box after the table's
// caption (or the heading before it) and put it in the Tab order, so it can be scrolled with the arrow keys.
function labelScrollingTables() {
  document.querySelectorAll(".app-table-scroll").forEach((box) => {
    const scrolls = box.scrollWidth > box.clientWidth + 1;
    if (scrolls && !box.hasAttribute("role")) {
      const table = box.querySelector("table");
      const caption = table && table.caption ? table.caption.textContent.trim() : "";
      let heading = box.previousElementSibling;
      while (heading && !/^H[1-6]$/.test(heading.tagName)) heading = heading.previousElementSibling;
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", `${caption || (heading ? heading.textContent.trim() : "Table")} (scrolls sideways)`);
      box.setAttribute("tabindex", "0");
    } else if (!scrolls && box.getAttribute("tabindex") === "0") {
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
      box.removeAttribute("tabindex");
    }
  });
}
labelScrollingTables();
window.addEventListener("resize", labelScrollingTables);
