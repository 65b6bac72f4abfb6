// The inbox (conversation list, conversation and contact sidebar over the agent API, kept live by
// the association's SSE stream), as native ES modules: no build step, no framework. Text from
// data only ever reaches the page through textContent or attributes (never innerHTML).
//
// This entry wires each part to its controls, opens the stream, then (once it is open) loads the
// list and opens the conversation the address names (?c=).
import { wireActions } from "./actions.js";
import { refreshAgents, wireAssignMenu } from "./assignment.js";
import { wireAssist } from "./assist.js";
import { wireBulk } from "./bulk.js";
import { wireCanned } from "./canned.js";
import { wireComposer } from "./composer.js";
import { openConversation, wireConversation } from "./conversation.js";
import { startFilters, wireFilters } from "./filters.js";
import { wireKeyboard } from "./keyboard.js";
import { wireLabels } from "./labels.js";
import { loadList, showSelectedTab, wireList } from "./list.js";
import { connectFirst } from "./live.js";
import { wireMessages } from "./messages.js";
import { offerNotifications, renderSoundToggle, wireNotifications } from "./notifications.js";
import { wirePanes } from "./panes.js";
import { wireSnoozeMenu } from "./snooze.js";
import { state } from "./state.js";
import { showError } from "./toasts.js";
import { api } from "./wacrm.js";

const AGENTS_REFRESH_MS = 60000;
// How long the list waits for the stream to open before it loads anyway (a proxy may hold it).
const STREAM_PATIENCE_MS = 3000;

function wire() {
  wireKeyboard(); // before the audio unlock: the order the page's keydown listeners run in
  wireNotifications();
  wireList();
  wireFilters();
  wireBulk();
  wireMessages();
  wireActions();
  wireLabels();
  wireAssignMenu();
  wireSnoozeMenu();
  wireComposer();
  wireAssist();
  wireCanned();
  wireConversation();
  wirePanes(openConversation);
}

async function start() {
  wire();
  renderSoundToggle();
  offerNotifications();
  const streamOpen = connectFirst(STREAM_PATIENCE_MS);
  setInterval(refreshAgents, AGENTS_REFRESH_MS);
  startFilters(); // the address's search and filters, before the list is read
  showSelectedTab();
  await streamOpen; // the lists are read after the stream subscribed: nothing falls in between
  try {
    const [, waitingNow] = await Promise.all([
      loadList(),
      api("GET", "/conversations?status=pending&limit=100"),
    ]);
    for (const conversation of waitingNow.items) state.pending.add(conversation.id);
  } catch (error) {
    showError(error);
  }
  const wanted = new URLSearchParams(window.location.search).get("c");
  if (wanted) openConversation(wanted);
}

start();
