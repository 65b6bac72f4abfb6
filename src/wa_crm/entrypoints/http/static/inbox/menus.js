// Menus under a button (the assignee, the snooze): one open at a time, closed by Escape, a
// second click or a click elsewhere; the arrow keys move between their items.

const menus = [];

/** A panel under its button: Escape, a second click or a click elsewhere closes it. */
export function menu(button, panel, onOpen) {
  const items = () => Array.from(panel.querySelectorAll(".menu-item")).filter((el) => !el.hidden);
  function outside(event) {
    if (!panel.contains(event.target) && !button.contains(event.target)) close(false);
  }
  function close(refocus) {
    if (panel.hidden) return;
    panel.hidden = true;
    button.setAttribute("aria-expanded", "false");
    document.removeEventListener("pointerdown", outside, true);
    if (refocus) button.focus();
  }
  button.addEventListener("click", async () => {
    if (!panel.hidden) {
      close(false);
      return;
    }
    for (const other of menus) other.close(false);
    panel.hidden = false;
    button.setAttribute("aria-expanded", "true");
    document.addEventListener("pointerdown", outside, true);
    await onOpen();
    if (!panel.hidden) items()[0]?.focus();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation(); // the page's Escape would leave the conversation
      close(true);
    } else if ((event.key === "ArrowDown" || event.key === "ArrowUp")
      && event.target.classList.contains("menu-item")) {
      event.preventDefault();
      event.stopPropagation();
      const all = items();
      const step = event.key === "ArrowDown" ? 1 : -1;
      all[(all.indexOf(event.target) + step + all.length) % all.length].focus();
    }
  });
  const handle = { close };
  menus.push(handle);
  return handle;
}

export function closeMenus() {
  for (const open of menus) open.close(false);
}
