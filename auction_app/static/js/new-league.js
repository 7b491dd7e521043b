// Create a league: teams follow the chosen sport; the API checks every rule.
import { api, sentences } from "./api.js";
import { readSettings, showProblems } from "./forms.js";

const form = document.getElementById("league-form");
const sports = JSON.parse(form.dataset.sports || "[]");

function teamCheckbox(team) {
  const label = document.createElement("label");
  label.className = "check";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.name = "team_keys";
  box.value = team.key;
  box.checked = true;
  label.append(box, ` ${team.name}`);
  return label;
}

function showTeams() {
  const sport = sports.find((s) => s.key === form.elements.sport_key.value);
  const box = document.getElementById("team-choices");
  box.replaceChildren(...(sport ? sport.teams.map(teamCheckbox) : []));
}

function chosenTeams() {
  const boxes = [...form.querySelectorAll('input[name="team_keys"]')];
  const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
  return chosen.length === boxes.length ? null : chosen;
}

async function onSubmit(event) {
  event.preventDefault();
  const problems = document.getElementById("form-problems");
  const { settings, invalid } = readSettings(form);
  if (invalid.length) {
    showProblems(problems, invalid.map((label) => `${label} must be a whole number.`));
    return;
  }
  const payload = { name: form.elements.name.value.trim(), sport_key: form.elements.sport_key.value, ...settings };
  const teams = chosenTeams();
  if (teams) payload.team_keys = teams;
  if (!payload.name) {
    showProblems(problems, ["Please give the league a name."]);
    form.elements.name.focus();
    return;
  }
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const body = await api("POST", "/api/leagues", payload);
    window.location.assign(`/leagues/${body.league.id}`);
  } catch (error) {
    showProblems(problems, sentences(error));
    button.disabled = false;
  }
}

form.elements.sport_key.addEventListener("change", showTeams);
form.addEventListener("submit", onSubmit);
showTeams();
