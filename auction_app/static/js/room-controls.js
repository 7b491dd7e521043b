// The commissioner's buttons in the room. Each one that changes the auction for everyone
// asks first, naming the team, the price and the people it affects.
import { api, say } from "./api.js";

const $ = (id) => document.getElementById(id);

function confirmText(room, action) {
  const snap = room.snapshot;
  const lot = snap && snap.lot;
  const team = lot ? room.view.teamName(lot.team_key) : "this team";
  if (action === "end") return "End the auction now for everyone?";
  if (action === "skip") {
    if (lot && lot.leader_id) {
      return `Skip ${team}? The leading bid of ${lot.price} by ${room.view.memberName(snap, lot.leader_id)} `
        + "is cancelled and the team goes unsold.";
    }
    return `Skip ${team}? Nobody has bid on it yet.`;
  }
  if (action === "undo") {
    const sale = room.lastSale;
    if (sale) return `Undo the sale of ${sale.team} to ${sale.name} for ${sale.price}? `
      + `${sale.name} gets ${sale.price} back and ${sale.team} goes back on the list.`;
    return "Undo the last sale? The team goes back on the list and its buyer gets the money back.";
  }
  return null;
}

export async function onControl(event, room, applySnapshot) {
  const button = event.target.closest("[data-control]");
  if (!button || button.disabled) return;
  const action = button.dataset.control;
  const question = confirmText(room, action);
  if (question && !window.confirm(question)) return;
  const message = $("control-message");
  button.disabled = true;
  try {
    applySnapshot(await api("POST", `/api/auctions/${room.auctionId}/${action}`));
    say(message, "");
  } catch (error) {
    say(message, error.message);
  } finally {
    if (room.snapshot) room.view.controls(room.snapshot);
  }
}

