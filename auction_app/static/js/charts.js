// Shared bits for the charts: colours that stay apart for colour-blind readers
// (Okabe–Ito) and a plain table with the same numbers.

const COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8a6d00"];

export function seriesColour(index) {
  return COLOURS[index % COLOURS.length];
}

export function tableFrom(table, headings, rows) {
  const head = document.createElement("tr");
  for (const text of headings) {
    const th = document.createElement("th");
    th.scope = "col";
    th.textContent = text;
    head.append(th);
  }
  table.tHead.replaceChildren(head);
  table.tBodies[0].replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    cells.forEach((value, i) => {
      const cell = document.createElement(i === 0 ? "th" : "td");
      if (i === 0) cell.scope = "row";
      cell.textContent = value;
      tr.append(cell);
    });
    return tr;
  }));
}
