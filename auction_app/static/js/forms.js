// Reading league setting forms into API payloads.

export const SETTING_FIELDS = [
  "budget", "roster_slots", "min_bid", "min_increment", "lot_seconds",
  "bid_clock_seconds", "pause_between_lots_seconds", "max_members",
];

// {field: whole number} for every filled-in setting field of `form`; `invalid` lists bad ones.
export function readSettings(form) {
  const settings = {};
  const invalid = [];
  for (const name of SETTING_FIELDS) {
    const input = form.elements[name];
    if (!input || input.value.trim() === "") continue;
    const value = Number(input.value);
    if (Number.isInteger(value)) settings[name] = value;
    else invalid.push(input.labels && input.labels[0] ? input.labels[0].textContent : name);
  }
  return { settings, invalid };
}

// Show a list of problem sentences in `box` (hidden when empty).
export function showProblems(box, problems) {
  box.replaceChildren();
  box.hidden = problems.length === 0;
  if (!problems.length) return;
  const list = document.createElement("ul");
  for (const text of problems) {
    const item = document.createElement("li");
    item.textContent = text;
    list.append(item);
  }
  box.append(list);
  box.focus?.();
}
