// Chat and reactions in the room. Everyone in the room reads; members write; the
// commissioner can mute a member (their messages and reactions are then refused).
import { say } from "./api.js";
import { el } from "./room-view.js";

const $ = (id) => document.getElementById(id);
const ACK_TIMEOUT_MS = 8000;
const KEEP = 60;

export class Chat {
  constructor(socket, auctionId, mode, nameOf) {
    this.socket = socket;
    this.auctionId = auctionId;
    this.mode = mode;
    this.nameOf = nameOf;
    this.muted = new Set();
    this.canMute = false;
    this.messages = [];
    socket.on("chat_message", (m) => this.received(m));
    socket.on("chat_reaction", (r) => this.reaction(r));
    socket.on("chat_muted", (payload) => this.mutedChanged(payload));
    const form = $("chat-form");
    if (form) {
      form.addEventListener("submit", (event) => { event.preventDefault(); this.send(); });
      document.querySelector(".reactions").addEventListener("click", (event) => {
        const button = event.target.closest("[data-reaction]");
        if (button) this.react(button.dataset.reaction);
      });
    }
    $("chat-list").addEventListener("click", (event) => {
      const button = event.target.closest("[data-mute]");
      if (button) this.toggleMute(button.dataset.mute, button.dataset.name);
    });
  }

  tell(text, kind = "error") {
    say($("chat-message"), text, kind);
  }

  async join() {
    const payload = { auction_id: this.auctionId };
    const token = document.getElementById("room").dataset.spectatorToken;
    if (token) payload.spectator_token = token;
    try {
      const reply = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck("chat_join", payload);
      if (!reply.ok) return;
      this.canMute = reply.can_mute;
      this.muted = new Set(reply.muted);
      this.messages = reply.messages;
      this.draw();
    } catch {
      /* the next connect joins again */
    }
  }

  async emit(event, payload) {
    try {
      const reply = await this.socket.timeout(ACK_TIMEOUT_MS).emitWithAck(event, { auction_id: this.auctionId, ...payload });
      if (!reply.ok) this.tell(reply.error.message);
      else this.tell("");
      return reply;
    } catch {
      this.tell("We couldn't send that. Check your connection and try again.");
      return null;
    }
  }

  async send() {
    const input = $("chat-text");
    const text = input.value.trim();
    if (!text) return this.tell("Type a message first.");
    const reply = await this.emit("chat_send", { text });
    if (reply && reply.ok) input.value = "";
  }

  react(reaction) {
    this.emit("chat_react", { reaction });
  }

  async toggleMute(userId, name) {
    const mute = !this.muted.has(userId);
    const reply = await this.emit("chat_mute", { user_id: userId, muted: mute });
    if (reply && reply.ok) this.tell(mute ? `${name} is muted.` : `${name} can chat again.`, "notice");
  }

  received(message) {
    if (message.auction_id !== this.auctionId) return;
    this.messages = [...this.messages, message].slice(-KEEP);
    this.draw();
  }

  reaction(payload) {
    if (payload.auction_id !== this.auctionId) return;
    const item = el("li", null, "chat-reaction");
    item.append(el("strong", payload.name), ` ${payload.face}`);
    const list = $("chat-list");
    list.append(item);
    list.scrollTop = list.scrollHeight;
  }

  mutedChanged(payload) {
    if (payload.auction_id !== this.auctionId) return;
    this.muted = new Set(payload.muted);
    this.draw();
  }

  item(message) {
    const item = el("li");
    item.dataset.user = message.user_id;
    item.append(el("strong", message.name), `: ${message.text}`);
    const me = document.getElementById("room").dataset.me;
    if (this.canMute && message.user_id !== me) {
      const muted = this.muted.has(message.user_id);
      const button = el("button", muted ? "Unmute" : "Mute", "link-button");
      button.type = "button";
      button.dataset.mute = message.user_id;
      button.dataset.name = message.name;
      button.setAttribute("aria-label", `${muted ? "Unmute" : "Mute"} ${message.name}`);
      item.append(" ", button);
    }
    return item;
  }

  draw() {
    const list = $("chat-list");
    list.replaceChildren(...this.messages.map((m) => this.item(m)));
    list.scrollTop = list.scrollHeight;
    const me = document.getElementById("room").dataset.me;
    const form = $("chat-form");
    if (form && me) {
      const mutedMe = this.muted.has(me);
      form.querySelector("input").disabled = mutedMe;
      form.querySelector("button").disabled = mutedMe;
      if (mutedMe) this.tell("The commissioner has muted you in this chat.");
    }
  }
}
