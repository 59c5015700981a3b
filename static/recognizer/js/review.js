// Reviewing one drawing after another in the admin, from the keyboard: a digit
// labels the drawing and opens the next one, X says it is no digit, Y says the
// guess was right, N and P go to the next and previous drawings of the list
// without saving.
"use strict";

const NOT_A_DIGIT = "10"; // the label's value for "Not a digit" (recognizer.models)

document.addEventListener("keydown", (event) => {
  const label = document.getElementById("id_label");
  const next = document.querySelector('input[name="_saveandnext"]');
  if (!label || !next || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.target.closest("input, select, textarea")) return;
  const key = event.key.toLowerCase();
  const link = { n: "next-drawing", p: "previous-drawing" }[key];
  if (/^[0-9]$/.test(key) || key === "y" || key === "x") {
    const guess = document.querySelector(".review-row").dataset.guess;
    label.value = { y: guess, x: NOT_A_DIGIT }[key] ?? key;
    event.preventDefault();
    next.click();
  } else if (link && document.getElementById(link)) {
    event.preventDefault();
    window.location.href = document.getElementById(link).href;
  }
});
