// Phones read a wide table as a stack of cards (.table-stack in static/css/app.css): every cell carries its
// column's heading in data-label, which the stylesheet shows beside the value. Tables that arrive later (htmx
// swaps, the live queue boards) are labelled as they appear. A data-label written in the markup is kept.
(() => {
  const headingText = (th) => {
    const hidden = th.querySelector(".visually-hidden");
    const text = th.textContent.replace(/\s+/g, " ").trim();
    // a column whose heading is only for screen readers (the row's buttons) needs no label on the card either
    return hidden && hidden.textContent.replace(/\s+/g, " ").trim() === text ? "" : text;
  };

  const label = (table) => {
    const headRow = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!headRow) return;
    const labels = [];
    for (const th of headRow.cells) {
      for (let i = 0; i < th.colSpan; i += 1) labels.push(headingText(th));
    }
    for (const body of table.tBodies) {
      for (const row of body.rows) {
        let column = 0;
        for (const cell of row.cells) {
          // a cell across several columns ("Nothing here yet") is a message, not a value
          if (!cell.hasAttribute("data-label") && cell.colSpan === 1) cell.dataset.label = labels[column] || "";
          column += cell.colSpan;
        }
      }
    }
  };

  const labelAll = (root) => {
    if (root.matches && root.matches("table.table-stack")) label(root);
    if (root.querySelectorAll) root.querySelectorAll("table.table-stack").forEach(label);
  };

  labelAll(document);
  new MutationObserver((changes) => {
    for (const change of changes) {
      for (const node of change.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        labelAll(node);
        const table = node.closest("table.table-stack");
        if (table) label(table);
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
})();
