// The drawing page: a canvas that takes mouse, pen and touch through
// Pointer Events, and shows the server's guess with a bar per digit.
"use strict";

(() => {
  const app = document.querySelector(".app");
  const canvas = document.getElementById("pad");
  const context = canvas.getContext("2d");
  const message = document.getElementById("message");
  const digitOutput = document.getElementById("digit");
  const confidenceOutput = document.getElementById("confidence");
  const bars = [...document.querySelectorAll("#bars li")];
  const guessButton = document.getElementById("guess");
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

  const PEN_WIDTH = 18;
  let drawing = false;
  let hasInk = false;
  let last = null;

  context.lineCap = "round";
  context.lineJoin = "round";
  context.lineWidth = PEN_WIDTH;
  context.strokeStyle = "#000";
  context.fillStyle = "#000";

  // Pointer position in canvas pixels, whatever size CSS gives the canvas.
  function point(event) {
    const box = canvas.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * canvas.width) / box.width,
      y: ((event.clientY - box.top) * canvas.height) / box.height,
    };
  }

  function dot(p) {
    context.beginPath();
    context.arc(p.x, p.y, PEN_WIDTH / 2, 0, 2 * Math.PI);
    context.fill();
  }

  function lineTo(p) {
    context.beginPath();
    context.moveTo(last.x, last.y);
    context.lineTo(p.x, p.y);
    context.stroke();
    last = p;
  }

  canvas.addEventListener("pointerdown", (event) => {
    if (event.button !== 0) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    drawing = true;
    hasInk = true;
    last = point(event);
    dot(last);
  });

  canvas.addEventListener("pointermove", (event) => {
    if (!drawing) return;
    event.preventDefault();
    // Coalesced events keep fast strokes smooth on high-rate pens and touch.
    const events = event.getCoalescedEvents ? event.getCoalescedEvents() : [event];
    for (const each of events.length ? events : [event]) lineTo(point(each));
  });

  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    canvas.addEventListener(type, () => {
      drawing = false;
      last = null;
    });
  }

  function showMessage(text, kind = "info") {
    message.textContent = text;
    message.dataset.kind = kind;
  }

  function resetResult() {
    digitOutput.textContent = "?";
    confidenceOutput.textContent = "";
    for (const bar of bars) {
      bar.classList.remove("top");
      bar.querySelector(".bar-fill").style.width = "0%";
      bar.querySelector(".bar-value").textContent = "–";
    }
  }

  function showGuess(result) {
    digitOutput.textContent = String(result.digit);
    confidenceOutput.textContent = `${Math.round(result.confidence * 100)}% sure`;
    result.probabilities.forEach((probability, digit) => {
      const bar = bars[digit];
      const percent = Math.round(probability * 100);
      bar.classList.toggle("top", digit === result.digit);
      bar.querySelector(".bar-fill").style.width = `${percent}%`;
      bar.querySelector(".bar-value").textContent = `${percent}%`;
    });
    showMessage(`The model thinks this is a ${result.digit}.`);
  }

  async function errorText(response) {
    try {
      const body = await response.json();
      if (body && body.detail) return body.detail;
    } catch {
      // Not JSON: fall through to the status line.
    }
    return `The server answered ${response.status} ${response.statusText}.`;
  }

  async function guess() {
    if (!hasInk) {
      showMessage("Draw a digit first.", "error");
      return;
    }
    guessButton.disabled = true;
    showMessage("Guessing…");
    try {
      const response = await fetch(app.dataset.predictUrl, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          Accept: "application/json",
          "X-CSRFToken": csrfToken,
        },
        credentials: "same-origin",
        body: JSON.stringify({ image: canvas.toDataURL("image/png") }),
      });
      if (!response.ok) {
        showMessage(await errorText(response), "error");
        return;
      }
      showGuess(await response.json());
    } catch {
      showMessage("The server cannot be reached. Check your connection and try again.", "error");
    } finally {
      guessButton.disabled = false;
    }
  }

  function clear() {
    context.clearRect(0, 0, canvas.width, canvas.height);
    hasInk = false;
    resetResult();
    showMessage("");
  }

  guessButton.addEventListener("click", guess);
  document.getElementById("clear").addEventListener("click", clear);
})();
