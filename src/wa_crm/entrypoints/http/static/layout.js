// Every page's frame: the top bar's menu on a narrow screen (the sections, the agent and
// sign out, behind one button), and the service worker that makes the dashboard installable.
// A classic script, loaded by base.html on every page before the page's own scripts.
"use strict";

(() => {
  const topbar = document.querySelector(".topbar");
  const toggle = document.getElementById("menu-toggle");
  if (topbar && toggle) {
    const setOpen = (open) => {
      topbar.classList.toggle("menu-open", open);
      toggle.setAttribute("aria-expanded", String(open));
    };
    toggle.addEventListener("click", () => setOpen(!topbar.classList.contains("menu-open")));
    document.addEventListener("click", (event) => {
      if (!topbar.contains(event.target)) setOpen(false);
    });
    document.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && topbar.classList.contains("menu-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // The worker is served beside the manifest, at the app's mount path: its scope is the app.
  const manifest = document.querySelector('link[rel="manifest"]');
  if (manifest && "serviceWorker" in navigator && window.isSecureContext) {
    const base = new URL(manifest.href).pathname.replace(/\/manifest\.webmanifest$/, "");
    // Without a worker the pages work as before, only not offline: nothing to tell the agent.
    navigator.serviceWorker.register(`${base}/sw.js`, { scope: `${base}/` }).catch(() => {});
  }
})();
