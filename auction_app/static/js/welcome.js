// First sign-in tutorial: remember it is done, then open a practice auction.
import { busy, csrfToken, say, startPractice } from "./api.js";

async function markDone() {
  const form = new URLSearchParams({ outcome: "done", csrf_token: csrfToken() });
  await fetch("/welcome", { method: "POST", body: form, credentials: "same-origin", redirect: "manual" });
}

function onPractice(event) {
  const message = document.getElementById("practice-message");
  busy(event.currentTarget, async () => {
    await markDone();
    await startPractice();
  }).catch((error) => say(message, error.message));
}

document.getElementById("start-practice")?.addEventListener("click", onPractice);
