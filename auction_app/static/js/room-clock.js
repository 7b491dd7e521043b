// Server-time countdown: the server's clock decides; we only correct for our own clock's offset.

export class ServerClock {
  constructor() {
    this.offsetMs = 0; // server time - client time
  }

  // Every event and snapshot carries `server_time` (ISO, UTC): keep the latest offset.
  observe(serverTime) {
    const server = Date.parse(serverTime || "");
    if (!Number.isNaN(server)) this.offsetMs = server - Date.now();
  }

  now() {
    return Date.now() + this.offsetMs;
  }

  // Milliseconds until an ISO time on the server's clock (never negative).
  until(isoTime) {
    const at = Date.parse(isoTime || "");
    return Number.isNaN(at) ? 0 : Math.max(0, at - this.now());
  }
}

// "0:07", "1:30": whole seconds rounded up, so 0:00 means closed.
export function formatRemaining(ms) {
  const total = Math.ceil(ms / 1000);
  const minutes = Math.floor(total / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return `${minutes}:${seconds}`;
}
