// The settings sub-navigation scrolls sideways on a narrow screen: bring the current page's link
// into view, so the admin sees where they are without scrolling the row.
const row = document.querySelector(".settings-nav ul");
const current = row?.querySelector('[aria-current="page"]');
if (row && current && row.scrollWidth > row.clientWidth) {
  const item = current.parentElement;
  row.scrollLeft = item.offsetLeft - row.offsetLeft - (row.clientWidth - item.offsetWidth) / 2;
}
