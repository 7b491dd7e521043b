// Getting a member's attention when they are outbid: vibration where the phone has it,
// an optional short sound (off by default), and a screen-reader announcement.

const SOUND_KEY = "club-auction.sound";

export function soundOn() {
  try {
    return window.localStorage.getItem(SOUND_KEY) === "on";
  } catch {
    return false;
  }
}

export function setSound(on) {
  try {
    window.localStorage.setItem(SOUND_KEY, on ? "on" : "off");
  } catch {
    /* private mode: the choice lasts for this page only */
  }
}

let audio = null;

function beep() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = 880;
    gain.gain.value = 0.08;
    osc.connect(gain).connect(audio.destination);
    osc.start();
    osc.stop(audio.currentTime + 0.18);
  } catch {
    /* no audio on this device */
  }
}

// Called once per outbid; `say` is the text for screen readers.
export function outbidAlert(say) {
  if (navigator.vibrate) {
    try { navigator.vibrate([120, 60, 120]); } catch { /* not allowed before a tap */ }
  }
  if (soundOn()) beep();
  const live = document.getElementById("clock-announce");
  if (live) live.textContent = say;
}

// "Too late for CSK — it sold to dave for 31": named, in words, in the member's own time.
export function tooLateText(closed) {
  if (!closed) return "Too late: bidding on that team had already closed.";
  if (closed.winner_id) return `Too late for ${closed.team} — it sold to ${closed.winner_name} for ${closed.price}.`;
  if (closed.kind === "lot_skipped") return `Too late for ${closed.team} — the commissioner skipped it.`;
  const at = new Date(closed.closed_at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  return `Too late for ${closed.team} — bidding closed at ${at} with no bids.`;
}
