// The inbox's shared state: what it knows of the conversations and the agents, and what the page
// is doing now. The modules change these objects in place; there is no other shared state.
import { boot, api } from "./wacrm.js";

/**
 * @typedef {object} Contact
 * @property {string} id
 * @property {string} wa_chat_id "erased:…" once the contact's data is erased
 * @property {string | null} display_name
 * @property {string | null} phone
 * @property {"member" | "lead"} kind
 * @property {Record<string, unknown>} [fields]
 * @property {string | null} [opted_out_at]
 * @property {string | null} [opt_out_source] "keyword:<word>" or "agent"
 */

/** @typedef {{reason: string, summary?: string, fields?: Record<string, unknown>}} HandoffNote */

/**
 * @typedef {object} LastMessage
 * @property {string} id
 * @property {"contact" | "bot" | "agent" | "system"} author
 * @property {string | null} [author_name] an agent's name
 * @property {string | null} [agent_id] known for a message seen live
 * @property {string} type "text", "image", "document", …
 * @property {string} preview one line; "" for a file without a caption
 * @property {string} at
 */

/**
 * @typedef {object} Conversation
 * @property {string} id
 * @property {"bot" | "pending" | "human" | "resolved"} status
 * @property {string} contact_id
 * @property {Contact} [contact] absent from events and action answers: kept from earlier
 * @property {string | null} assignee_id
 * @property {string[]} [labels]
 * @property {string | null} [snoozed_until]
 * @property {number | null} [rating] 1 to 5, once resolved and rated
 * @property {boolean} [sla_breached] no agent answered within the first-response target
 * @property {number} unread_count
 * @property {string | null} [handoff_reason]
 * @property {HandoffNote | null} [handoff_note]
 * @property {string | null} [last_message_at]
 * @property {LastMessage | null} [last_message] the list's rows only (not in events)
 * @property {{message_id: string, preview: string, at: string} | null} [match] a search's hit
 * @property {string | null} [waiting_since] since when the contact waits for an answer
 * @property {string | null} [previous_conversation_id] the contact's conversation before this one
 * @property {string | null} [resolved_at]
 * @property {string} created_at
 */

/**
 * @typedef {object} Media
 * @property {string} [url]
 * @property {string} [mimetype]
 * @property {string} [filename]
 * @property {number} [size]
 * @property {string} [error]
 */

/**
 * @typedef {object} Message
 * @property {string} id
 * @property {string} conversation_id
 * @property {"in" | "out"} direction
 * @property {"contact" | "agent" | "bot" | "system"} author
 * @property {string | null} [agent_id]
 * @property {string} type "text", "image", "audio", …
 * @property {string | null} body
 * @property {string} status "queued", "sent", "delivered", "read", "played" or "failed"
 * @property {string | null} [error]
 * @property {Media | null} [media] its url is set once the file is fetched
 * @property {string | null} [external_id] WhatsApp's id: then it takes reactions and replies
 * @property {string | null} [reply_to]
 * @property {string | null} [quoted_body]
 * @property {string | null} [transcript] a voice note's text; "" when it could not be transcribed
 * @property {{emoji: string, from_me: boolean}[]} [reactions] only a reaction's update carries them
 * @property {string} created_at
 */

/**
 * @typedef {object} Note
 * @property {string} id
 * @property {string} conversation_id
 * @property {string} agent_id
 * @property {string} [agent_name]
 * @property {string} text
 * @property {string} created_at
 */

/** @typedef {{id: string, name: string, role: string, online: boolean}} Agent */

/**
 * @typedef {object} OpenConversation
 * @property {string} id
 * @property {Map<string, Message>} messages
 * @property {Map<string, Note>} notes
 * @property {string | null} nextBefore the cursor of the older messages, null once all are loaded
 * @property {object | null} contactDetail what the sidebar shows
 * @property {string} [lastStatus] the status last shown, to reload the sidebar when it changes
 */

export const API = boot.api;
export const ME = boot.agent.id;
export const ADMIN = boot.agent.role === "admin";
export const PAGE = 50;

// Mine and Unassigned: what an agent holds or could take (pending includes what automatic
// assignment routed to someone, as the "mine" count does).
export const TABS = {
  bot: { status: "bot" },
  pending: { status: "pending" },
  mine: { status: "pending,human", assignee: "me" },
  unassigned: { status: "pending,human", assignee: "none" },
  all: {},
};

export const state = {
  tab: TABS[localStorage.getItem("wa_crm.tab")] ? localStorage.getItem("wa_crm.tab") : "all",
  snoozed: false, // the list shows the snoozed conversations instead of the others
  /** @type {Map<string, Agent>} */
  agents: new Map(),
  /** @type {Map<string, Conversation>} everything seen, with its contact once fetched */
  conversations: new Map(),
  /** @type {string[]} the ids shown, in order */
  list: [],
  pinned: [], // urgent conversations of the view, above the list (loaded apart, never paged)
  nextCursor: null,
  counts: null,
  pending: new Set(), // conversations known to wait for an agent (notified once each)
  typing: new Map(), // conversation id -> timer of the contact's "typing…"
  agentTyping: new Map(),
  /** @type {OpenConversation | null} */
  open: null,
};

/** What the page is doing now, beyond the data. */
export const view = {
  openToken: 0, // bumped by each conversation opened: answers for an earlier one are dropped
  stuckToBottom: true, // the conversation follows new messages while scrolled to its end
  /** @type {"reply" | "note"} a reply to the contact, or a private note */
  composerMode: "reply",
};

// Which conversation an event last told of, by the number of events seen: a list read sent
// before that event must not take its state back (the list answer may come after the event).
const lastTold = new Map(); // conversation id -> event number
let eventsSeen = 0;

/** @param {string} id a conversation an event just told of */
export function toldByEvent(id) {
  lastTold.set(id, ++eventsSeen);
}

/** @returns {number} a mark to compare later events with (see `toldSince`) */
export function eventMark() {
  return eventsSeen;
}

/**
 * The conversations an event told of after `mark`: a list read from then is stale for them.
 * @param {number} mark
 * @returns {string[]}
 */
export function toldSince(mark) {
  return [...lastTold].filter(([, told]) => told > mark).map(([id]) => id);
}

export const bubbles = new Map(); // message id -> {key, el}
export const noteNodes = new Map(); // note id -> element (notes do not change)

/**
 * @param {Conversation} conversation a snapshot, perhaps without its contact
 * @returns {Conversation} what is now known of it
 */
export function remember(conversation) {
  const known = state.conversations.get(conversation.id);
  const merged = { ...known, ...conversation };
  if (!conversation.contact && known?.contact) merged.contact = known.contact;
  state.conversations.set(conversation.id, merged);
  return merged;
}

/**
 * Fetch a conversation for its contact; the events seen meanwhile stay the fresher state.
 * @param {string} id
 * @returns {Promise<Conversation>}
 */
export async function withContact(id) {
  const fetched = await api("GET", `/conversations/${encodeURIComponent(id)}`);
  return remember({ ...fetched, ...state.conversations.get(id), contact: fetched.contact });
}
