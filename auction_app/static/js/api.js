// Talking to the JSON API from the pages: CSRF header, JSON in and out, friendly errors.

const FALLBACK = "Something went wrong on our side. Please try again in a moment.";
const OFFLINE = "We couldn't reach the server. Check your connection and try again.";

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta && meta.content) return meta.content;
  const match = document.cookie.match(/(?:^|;\s*)csrf_token=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

// An Error whose message is a sentence for the member; `code` and `details` from the API.
export class ApiError extends Error {
  constructor(message, code = "error", status = 0, details = null) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

function errorFrom(status, body) {
  const error = body && body.error;
  if (error && error.message) return new ApiError(error.message, error.code, status, error.details || null);
  return new ApiError(FALLBACK, "error", status);
}

async function readJson(response) {
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("application/json")) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// api("POST", "/api/leagues", {...}) -> parsed JSON, or throws ApiError with a friendly message.
export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  const options = { method, headers, credentials: "same-origin" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrfToken();
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(url, options);
  } catch {
    throw new ApiError(OFFLINE, "offline");
  }
  const data = await readJson(response);
  if (!response.ok) throw errorFrom(response.status, data);
  return data;
}

// The sentences of an error: the API's details list when it has one, else its message.
export function sentences(error) {
  if (Array.isArray(error.details) && error.details.length) return error.details.map(String);
  return [error.message || FALLBACK];
}

// Show (or hide, with an empty text) a message element.
export function say(element, text, kind = "error") {
  if (!element) return;
  element.textContent = text || "";
  element.hidden = !text;
  element.classList.toggle("error", kind === "error");
  element.classList.toggle("notice", kind !== "error");
}

// Run an async action with its button disabled meanwhile.
export async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } finally {
    if (button) button.disabled = false;
  }
}

export async function startPractice() {
  const body = await api("POST", "/api/practice", {});
  window.location.assign(`/leagues/${body.league_id}/auction`);
}
