// Reviewing one drawing after another in the admin, from the keyboard: a digit
// labels the drawing and opens the next one, Y says the guess was right, N and
// P go to the next and previous drawings of the list without saving.
"use strict";

document.addEventListener("keydown", (event) => {
  const label = document.getElementById("id_label");
  const next = document.querySelector('input[name="_saveandnext"]');
  if (!label || !next || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, select, textarea")) return;
  const key = event.key.toLowerCase();
  const link = { n: "next-drawing", p: "previous-drawing" }[key];
  if (/^[0-9]$/.test(key) || key === "y") {
    label.value = key === "y" ? document.querySelector(".review-row").dataset.guess : key;
    event.preventDefault();
    next.click();
  } else if (link && document.getElementById(link)) {
    event.preventDefault();
    window.location.href = document.getElementById(link).href;
  }
});
