// My leagues: join with a link or code, start a practice auction.
import { busy, say, startPractice } from "./api.js";

// The invite token in a pasted link ("…/join/<token>") or a bare code.
export function inviteToken(text) {
  const value = text.trim();
  const match = value.match(/\/join\/([A-Za-z0-9_-]+)/);
  if (match) return match[1];
  return /^[A-Za-z0-9_-]{20,100}$/.test(value) ? value : null;
}

function onJoin(event) {
  event.preventDefault();
  const input = document.getElementById("invite");
  const message = document.getElementById("join-message");
  const token = inviteToken(input.value);
  if (!token) {
    say(message, "That doesn't look like an invite link or code. Paste the whole link from the invitation.");
    input.focus();
    return;
  }
  window.location.assign(`/join/${token}`);
}

function onPractice(event) {
  const message = document.getElementById("practice-message");
  busy(event.currentTarget, startPractice).catch((error) => say(message, error.message));
}

document.getElementById("join-form")?.addEventListener("submit", onJoin);
document.getElementById("start-practice")?.addEventListener("click", onPractice);
