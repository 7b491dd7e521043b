/* Live standings page: joins the league's Socket.IO room, re-draws the table on
 * `standings_updated`, shows a team's results, and (commissioner) imports files
 * and changes scoring rules. No inline script (CSP); text is always set with
 * textContent, never parsed as HTML. Writes send the X-CSRF-Token header. */
(function () {
  "use strict";

  var page = document.getElementById("standings-page");
  if (!page) { return; }
  var leagueId = page.getAttribute("data-league-id");
  var me = page.getAttribute("data-me");
  var label = page.getAttribute("data-score-label") || "goals";
  var apiBase = "/api/leagues/" + encodeURIComponent(leagueId);

  function $(id) { return document.getElementById(id); }

  function el(tag, text, cls) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (cls) { node.className = cls; }
    return node;
  }

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrf_token=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function setStatus(text) { var s = $("live-status"); if (s) { s.textContent = text; } }

  // ------------------------------------------------------------------ drawing

  function drawTable(view) {
    var body = $("standings-body");
    if (!body || !view) { return; }
    // The season chart (standings-chart.js) fetches its new points after an import.
    window.dispatchEvent(new CustomEvent("standings-updated"));
    label = view.score_label || label;
    var rows = document.createDocumentFragment();
    view.standings.forEach(function (row) {
      var tr = el("tr");
      if (row.user_id === me) { tr.className = "me"; }
      tr.appendChild(el("td", row.rank));
      tr.appendChild(el("td", row.name + (row.user_id === me ? " (you)" : "")));
      var pts = el("td"); pts.appendChild(el("strong", row.points)); tr.appendChild(pts);
      tr.appendChild(el("td", row.wins));
      tr.appendChild(el("td", row.goals_for));
      var teams = el("td");
      if (row.teams.length) {
        var list = el("ul", null, "team-breakdown");
        row.teams.forEach(function (team) {
          var li = el("li");
          var link = el("a", team.team_name);
          link.href = "#team-results";
          link.setAttribute("data-team", team.team_key);
          li.appendChild(link);
          li.appendChild(document.createTextNode(": " + team.points + " pts"));
          li.appendChild(el("span", " (W" + team.won + " D" + team.drawn + " L" + team.lost + ")", "wdl"));
          list.appendChild(li);
        });
        teams.appendChild(list);
      } else {
        teams.appendChild(el("span", "no teams", "muted"));
      }
      tr.appendChild(teams);
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
    var count = $("fixture-count");
    if (count) { count.textContent = view.fixtures.played + " of " + view.fixtures.total + " fixtures played"; }
    var r = view.rules;
    var rules = $("rules-summary");
    if (rules) {
      rules.textContent = "Scoring: win " + r.win + ", draw " + r.draw + ", loss " + r.loss + ", no result " +
        r.no_result + ", plus " + r.per_goal + " per " + label.replace(/s$/, "") + " scored" +
        (view.rules_are_default ? " (the standard rules)." : ".");
    }
    ["win", "draw", "loss", "no_result", "per_goal"].forEach(function (name) {
      var input = $("rule-" + name);
      if (input && document.activeElement !== input) { input.value = r[name]; }
    });
  }

  // ------------------------------------------------------------------ live updates

  function connect() {
    if (typeof io !== "function") { return; }
    var socket = io({ transports: ["websocket"] });
    function join() {
      socket.emit("join_league", { league_id: leagueId }, function (ack) {
        if (ack && ack.ok) {
          drawTable(ack.standings);
          setStatus("Live: the table updates by itself.");
        } else {
          setStatus((ack && ack.error && ack.error.message) || "Live updates are unavailable.");
        }
      });
    }
    // Every (re)connect asks for the whole table: events missed while away are never replayed.
    socket.on("connect", join);
    socket.on("disconnect", function () { setStatus("Reconnecting…"); });
    socket.on("standings_updated", function (event) {
      if (!event || event.league_id !== leagueId) { return; }
      drawTable(event.standings);
      setStatus(event.reason === "scoring" ? "Scoring rules changed: table recomputed." :
        "New results imported: table updated.");
    });
  }

  // ------------------------------------------------------------------ team results

  function showTeam(teamKey) {
    fetch(apiBase + "/teams/" + encodeURIComponent(teamKey) + "/results", { credentials: "same-origin" })
      .then(function (response) { return response.json().then(function (data) { return [response, data]; }); })
      .then(function (pair) {
        var data = pair[1];
        var card = $("team-results");
        if (!pair[0].ok) { setStatus(data.error ? data.error.message : "Couldn't load that team."); return; }
        card.hidden = false;
        $("team-results-title").textContent = data.team.name + (data.owner ? " (owned by " + data.owner.name + ")" : " (not owned)");
        var rec = data.record;
        $("team-results-summary").textContent = rec.points + " points from " + rec.played + " played: won " + rec.won +
          ", drawn " + rec.drawn + ", lost " + rec.lost + (rec.no_result ? ", no result " + rec.no_result : "") +
          ". " + data.upcoming.length + " still to play.";
        var rows = document.createDocumentFragment();
        data.results.forEach(function (res) {
          var tr = el("tr");
          tr.appendChild(el("td", res.date));
          tr.appendChild(el("td", (res.at_home ? "v " : "at ") + res.opponent_name));
          tr.appendChild(el("td", { W: "Won", D: "Drawn", L: "Lost", NR: "No result" }[res.outcome] || res.outcome));
          // A match with no result (abandoned, washed out) has no score to show, not 0–0.
          tr.appendChild(el("td", res.outcome === "NR" ? "–" : res.goals_for + "–" + res.goals_against));
          tr.appendChild(el("td", res.points));
          rows.appendChild(tr);
        });
        $("team-results-body").replaceChildren(rows);
        card.scrollIntoView({ behavior: "smooth" });
      })
      .catch(function () { setStatus("Couldn't load that team. Check your connection."); });
  }

  page.addEventListener("click", function (event) {
    var link = event.target.closest("a[data-team]");
    if (!link) { return; }
    event.preventDefault();
    showTeam(link.getAttribute("data-team"));
  });

  // ------------------------------------------------------------------ commissioner forms

  function send(method, url, body, isJson) {
    var headers = { "X-CSRF-Token": csrfToken() };
    if (isJson) { headers["Content-Type"] = "application/json"; }
    return fetch(url, { method: method, body: body, headers: headers, credentials: "same-origin" })
      .then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (data) {
          return { ok: response.ok, status: response.status, data: data };
        });
      });
  }

  function errorText(result) {
    return (result.data && result.data.error && result.data.error.message) ||
      "That didn't work (error " + result.status + "). Please try again.";
  }

  var importForm = $("import-form");
  if (importForm) {
    importForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var out = $("import-result");
      var problems = $("import-problems");
      problems.replaceChildren();
      out.textContent = "Importing…";
      send("POST", apiBase + "/fixtures", new FormData(importForm), false).then(function (result) {
        if (result.ok) {
          var s = result.data.import;
          out.textContent = "Imported " + s.imported + " fixtures (" + s.created + " new, " + s.updated +
            " updated, " + s.unchanged + " unchanged). The table is up to date.";
          drawTable(result.data.standings);
          importForm.reset();
          return;
        }
        out.textContent = errorText(result);
        var details = (result.data.error && result.data.error.details) || [];
        var text = function (problem) { return typeof problem === "string" ? problem : problem.text; };
        var unknownTeams = details.filter(function (p) { return /unknown (home|away) team/.test(text(p)); });
        // A file for another sport: one sentence, not a row per unknown team.
        if (details.length > 3 && unknownTeams.length === details.length) {
          out.textContent = "None of the teams in this file are in " + page.getAttribute("data-sport-name") +
            ". Is it a file for another sport or competition? Nothing was imported.";
          return;
        }
        details.forEach(function (problem) {
          problems.appendChild(el("li", typeof problem === "string" ? problem : problem.text));
        });
      }).catch(function () { out.textContent = "The upload failed. Check your connection and try again."; });
    });
  }

  var scoringForm = $("scoring-form");
  if (scoringForm) {
    scoringForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = {};
      ["win", "draw", "loss", "no_result", "per_goal"].forEach(function (name) {
        body[name] = parseInt($("rule-" + name).value, 10);
      });
      rulesRequest("PUT", JSON.stringify(body));
    });
    $("scoring-reset").addEventListener("click", function () { rulesRequest("DELETE", null); });
  }

  function rulesRequest(method, body) {
    var out = $("scoring-result");
    out.textContent = "Saving…";
    send(method, apiBase + "/scoring", body, body !== null).then(function (result) {
      if (result.ok) {
        out.textContent = "Saved. The table has been recomputed with the new rules.";
        drawTable(result.data.standings);
      } else {
        out.textContent = errorText(result);
      }
    }).catch(function () { out.textContent = "Couldn't save. Check your connection and try again."; });
  }

  connect();
}());
