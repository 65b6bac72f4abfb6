// Notifications of a conversation that waits for an agent: a sound, a desktop notification and
// a toast, once each; and the controls for them (the sound toggle, the offer to notify).
import { openConversation } from "./conversation.js";
import { contactName } from "./helpers.js";
import { state, withContact } from "./state.js";
import { toast } from "./toasts.js";
import { $, T, t } from "./wacrm.js";

let audio = null;
let soundOn = localStorage.getItem("wa_crm.sound") !== "off";

function unlockAudio() {
  // Browsers only let a page make sound after a gesture: prepare the context on the first one.
  if (audio || !window.AudioContext) return;
  try {
    audio = new AudioContext();
  } catch {
    audio = null;
  }
}

function beep() {
  if (!soundOn) return;
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const start = audio.currentTime + 0.01;
    [660, 880].forEach((frequency, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      const at = start + i * 0.16;
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.18, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.15);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.16);
    });
  } catch {
    /* no sound is better than a broken page */
  }
}

export function renderSoundToggle() {
  const button = $("sound-toggle");
  button.textContent = soundOn ? T.sound_on : T.sound_off;
  button.setAttribute("aria-pressed", String(soundOn));
}

export function offerNotifications() {
  if (!("Notification" in window) || Notification.permission !== "default") return;
  if (localStorage.getItem("wa_crm.notify") === "later") return;
  $("notify-ask").hidden = false;
}

function desktopNotification(conversation, summary) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (document.visibilityState === "visible" && document.hasFocus()) return; // the toast is enough
  try {
    const note = new Notification(T.notify_title, {
      body: [t("notify_body", { name: contactName(conversation.contact) }), summary]
        .filter(Boolean).join("\n"),
      tag: `wa_crm-${conversation.id}`,
    });
    note.addEventListener("click", () => {
      window.focus();
      openConversation(conversation.id);
      note.close();
    });
  } catch {
    /* some browsers only notify from a service worker */
  }
}

/**
 * A conversation now waits for an agent: notify once, until it stops waiting.
 * @param {string} id
 * @param {string} [summary] the handoff note's summary, for the desktop notification
 */
export async function waiting(id, summary) {
  if (state.pending.has(id)) return;
  state.pending.add(id);
  let conversation = state.conversations.get(id);
  if (!conversation?.contact) {
    try {
      conversation = await withContact(id);
    } catch {
      conversation = conversation || { id };
    }
  }
  beep();
  desktopNotification(conversation, summary || conversation.handoff_note?.summary);
  if (state.pending.has(id)) {
    toast(t("handoff_toast", { name: contactName(conversation.contact) }), {
      action: T.open, onAction: () => openConversation(id), about: id,
    });
  }
}

export function wireNotifications() {
  document.addEventListener("pointerdown", unlockAudio, { once: true });
  document.addEventListener("keydown", unlockAudio, { once: true });
  $("sound-toggle").addEventListener("click", () => {
    soundOn = !soundOn;
    localStorage.setItem("wa_crm.sound", soundOn ? "on" : "off");
    renderSoundToggle();
    if (soundOn) beep();
  });
  $("notify-enable").addEventListener("click", async () => {
    $("notify-ask").hidden = true;
    try {
      await Notification.requestPermission();
    } catch {
      /* older browsers: nothing to do */
    }
  });
  $("notify-later").addEventListener("click", () => {
    $("notify-ask").hidden = true;
    localStorage.setItem("wa_crm.notify", "later");
  });
}
