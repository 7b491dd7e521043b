// Nominations: when the league has them on, members take turns putting a team up with an
// opening bid. The member whose turn it is gets a form; everyone else sees who is choosing
// and the time left. When the time runs out the server puts the next team up for them.
const $ = (id) => document.getElementById(id);

export class Nomination {
  constructor(room, send) {
    this.room = room;
    this.send = send;      // (event, payload) => Promise<ack>
    this.panel = $("nominate");
    this.timer = null;
    if (!this.panel) return;
    const form = $("nominate-form");
    if (form) form.addEventListener("submit", (event) => this.submit(event));
  }

  // Whose turn it is comes with the snapshot and with each `nomination_turn` event.
  draw(snapshot) {
    if (!this.panel) return;
    const turn = snapshot && snapshot.status === "running" ? snapshot.nominating : null;
    this.panel.hidden = !turn;
    clearInterval(this.timer);
    if (!turn) return;
    const mine = snapshot.me && turn.user_id === snapshot.me.user_id;
    $("nominate-who").textContent = mine ? "Your turn: put a team up" : `${turn.name} is choosing the next team`;
    const form = $("nominate-form");
    if (form) {
      form.hidden = !mine;
      if (mine) this.fillTeams(snapshot);
    }
    const tick = () => {
      const left = Math.max(0, Math.ceil((Date.parse(turn.ends_at) - this.room.clock.now()) / 1000));
      $("nominate-clock").textContent = `${left} s`;
    };
    tick();
    this.timer = setInterval(tick, 250);
  }

  fillTeams(snapshot) {
    const select = $("nominate-team");
    const chosen = select.value;
    select.replaceChildren(...(snapshot.offerable || []).map((key) => {
      const option = document.createElement("option");
      option.value = key;
      option.textContent = this.room.view.teamName(key);
      return option;
    }));
    if (chosen && (snapshot.offerable || []).includes(chosen)) select.value = chosen;
    const amount = $("nominate-amount");
    amount.min = String(snapshot.settings.min_bid);
    if (!amount.value) amount.value = String(snapshot.settings.min_bid);
  }

  async submit(event) {
    event.preventDefault();
    const amount = Number($("nominate-amount").value);
    const message = $("nominate-message");
    if (!Number.isInteger(amount) || amount < 1) {
      message.textContent = "Type the opening bid as a whole number, like 5.";
      message.hidden = false;
      return;
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    const key = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    const ack = await this.send("nominate", { auction_id: this.room.auctionId, team_key: $("nominate-team").value,
      amount, idempotency_key: key });
    message.hidden = Boolean(ack && ack.ok);
    message.textContent = ack && ack.ok ? "" : ((ack && ack.error && ack.error.message) || "That didn't work; try again.");
  }
}
