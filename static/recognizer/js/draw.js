// The drawing page. Strokes come from mouse, pen and touch (Pointer Events)
// and are kept as point lists, so undo and resizing simply redraw them. The
// server guesses shortly after each stroke; the page shows the guess, how
// sure the model is of each digit, and the 8x8 picture the model received.
"use strict";

(() => {
  // The model's preprocessing is written for 280x280 canvas PNGs: whatever
  // the screen, what is sent is drawn at this size.
  const SIZE = 280;
  const INK = "#000";
  // Long enough to be sure a stroke is not followed at once by the next
  // (a "7"'s bar, a "4"'s cross), short enough to feel live.
  const LIVE_DELAY_MS = 350;
  const UNREACHABLE = "The server cannot be reached. Check your connection.";

  const app = document.querySelector(".app");
  const pad = document.getElementById("pad");
  const padContext = pad.getContext("2d");
  const outgoing = document.createElement("canvas");
  outgoing.width = outgoing.height = SIZE;
  const outgoingContext = outgoing.getContext("2d");
  const seenContext = document.getElementById("seen").getContext("2d");
  const result = document.querySelector(".result");
  const message = document.getElementById("message");
  const digitOutput = document.getElementById("digit");
  const confidenceOutput = document.getElementById("confidence");
  const bars = [...document.querySelectorAll("#bars li")];
  const feedback = document.getElementById("feedback");
  const feedbackButtons = [...feedback.querySelectorAll("button")];
  const undoButton = document.getElementById("undo");
  const recentList = document.getElementById("recent");
  const recentEmpty = document.getElementById("recent-empty");
  const recentItem = document.getElementById("recent-item");
  const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

  const strokes = []; // {width, points: [{x, y}]}, in SIZE units
  let stroke = null; // the one being drawn
  let strokePointer = null;
  let penWidth = Number(document.querySelector('input[name="pen"]:checked').value);
  let paintPending = false;

  // Every change of the drawing bumps `version`; Clear also bumps `sheet`
  // (a new drawing). An answer is shown only if the drawing has not changed
  // since it was asked for; the id of this sheet's latest stored guess is
  // sent with the next one, which replaces it in the history.
  let version = 0;
  let sheet = 0;
  let shownVersion = -1;
  let shown = null; // the prediction on screen, which feedback is about
  let replaceableId = null;
  let liveTimer = 0;
  let requesting = false;
  let guessAgain = false;
  let feedbackDone = Promise.resolve();

  // Drawing --------------------------------------------------------------

  function trace(context, { width, points }) {
    const [first] = points;
    if (points.length === 1) {
      context.beginPath();
      context.arc(first.x, first.y, width / 2, 0, 2 * Math.PI);
      context.fill();
      return;
    }
    // Quadratic curves from midpoint to midpoint, each bent by the point
    // between: smooth at any pointer rate, and still through both ends.
    context.lineWidth = width;
    context.beginPath();
    context.moveTo(first.x, first.y);
    for (let i = 1; i < points.length - 1; i += 1) {
      const here = points[i];
      const next = points[i + 1];
      context.quadraticCurveTo(here.x, here.y, (here.x + next.x) / 2, (here.y + next.y) / 2);
    }
    const last = points[points.length - 1];
    context.lineTo(last.x, last.y);
    context.stroke();
  }

  function paint(context) {
    const scale = context.canvas.width / SIZE;
    context.setTransform(1, 0, 0, 1, 0, 0);
    context.clearRect(0, 0, context.canvas.width, context.canvas.height);
    context.setTransform(scale, 0, 0, scale, 0, 0);
    context.lineCap = "round";
    context.lineJoin = "round";
    context.strokeStyle = INK;
    context.fillStyle = INK;
    for (const each of strokes) trace(context, each);
  }

  function repaint() {
    if (paintPending) return;
    paintPending = true;
    requestAnimationFrame(() => {
      paintPending = false;
      paint(padContext);
    });
  }

  // The on-screen bitmap matches the screen's pixels, so strokes stay
  // crisp on high-density phones; what is sent is redrawn at SIZE.
  function fitPad() {
    const side = Math.round(pad.clientWidth * (window.devicePixelRatio || 1));
    if (side > 0 && pad.width !== side) {
      pad.width = pad.height = side;
      paint(padContext);
    }
  }

  function drawingAsPng() {
    paint(outgoingContext);
    return outgoing.toDataURL("image/png");
  }

  function point(event) {
    const box = pad.getBoundingClientRect();
    return {
      x: ((event.clientX - box.left) * SIZE) / box.width,
      y: ((event.clientY - box.top) * SIZE) / box.height,
    };
  }

  pad.addEventListener("pointerdown", (event) => {
    if (stroke || !event.isPrimary || event.button !== 0) return;
    event.preventDefault();
    pad.setPointerCapture(event.pointerId);
    clearTimeout(liveTimer);
    guessAgain = false;
    strokePointer = event.pointerId;
    stroke = { width: penWidth, points: [point(event)] };
    strokes.push(stroke);
    markStale();
    repaint();
  });

  pad.addEventListener("pointermove", (event) => {
    if (!stroke || event.pointerId !== strokePointer) return;
    event.preventDefault();
    // Coalesced events keep fast strokes smooth on high-rate pens and touch.
    const events = event.getCoalescedEvents?.() ?? [];
    for (const each of events.length ? events : [event]) {
      const next = point(each);
      const last = stroke.points[stroke.points.length - 1];
      if (next.x !== last.x || next.y !== last.y) stroke.points.push(next);
    }
    repaint();
  });

  function endStroke(event) {
    if (!stroke || event.pointerId !== strokePointer) return;
    stroke = null;
    strokePointer = null;
    drawingChanged();
  }

  for (const type of ["pointerup", "pointercancel", "lostpointercapture"]) {
    pad.addEventListener(type, endStroke);
  }

  function undo() {
    if (stroke || !strokes.length) return;
    strokes.pop();
    repaint();
    drawingChanged();
  }

  function clear() {
    if (stroke) return;
    strokes.length = 0;
    sheet += 1;
    replaceableId = null;
    repaint();
    drawingChanged();
  }

  function drawingChanged() {
    version += 1;
    undoButton.disabled = strokes.length === 0;
    clearTimeout(liveTimer);
    if (strokes.length) {
      markStale();
      liveTimer = setTimeout(guess, LIVE_DELAY_MS);
    } else {
      resetResult();
      showMessage("");
    }
  }

  // The result ------------------------------------------------------------

  function showMessage(text, kind = "info") {
    message.textContent = text;
    message.dataset.kind = kind;
  }

  function markStale() {
    result.classList.toggle("stale", shownVersion !== -1);
    for (const button of feedbackButtons) button.disabled = true;
  }

  function resetResult() {
    shownVersion = -1;
    shown = null;
    result.classList.remove("stale");
    digitOutput.textContent = "?";
    confidenceOutput.textContent = "";
    seenContext.clearRect(0, 0, 8, 8);
    feedback.dataset.shown = "false";
    for (const bar of bars) {
      bar.classList.remove("top");
      bar.querySelector(".bar-fill").style.width = "0%";
      bar.querySelector(".bar-value").textContent = "–";
    }
  }

  function showSeen(features) {
    const picture = seenContext.createImageData(8, 8);
    // Ink as opacity (0 paper .. 16 ink) over the page's paper colour.
    features.forEach((value, index) => {
      picture.data.set([0, 0, 0, Math.round((value * 255) / 16)], index * 4);
    });
    seenContext.putImageData(picture, 0, 0);
  }

  function percent(probability) {
    return `${Math.round(probability * 100)}%`;
  }

  function showGuess(prediction) {
    shown = prediction;
    shownVersion = version;
    result.classList.remove("stale");
    digitOutput.textContent = String(prediction.digit);
    confidenceOutput.textContent = `${percent(prediction.confidence)} sure`;
    prediction.probabilities.forEach((probability, digit) => {
      const bar = bars[digit];
      bar.classList.toggle("top", digit === prediction.digit);
      bar.querySelector(".bar-fill").style.width = percent(probability);
      bar.querySelector(".bar-value").textContent = percent(probability);
    });
    showSeen(prediction.features);
    feedback.dataset.shown = "true";
    for (const button of feedbackButtons) {
      button.disabled = false;
      button.setAttribute("aria-pressed", "false");
    }
    showMessage(
      `The model thinks this is a ${prediction.digit} (${percent(prediction.confidence)} sure).`,
    );
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

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken,
      },
      credentials: "same-origin",
      body: JSON.stringify(body),
    });
  }

  // Guessing ----------------------------------------------------------------

  async function guess() {
    clearTimeout(liveTimer);
    if (!strokes.length) {
      showMessage("Draw a digit first.", "error");
      return;
    }
    if (shownVersion === version) return;
    // One request at a time; whatever changed meanwhile is guessed next.
    if (requesting) {
      guessAgain = true;
      return;
    }
    requesting = true;
    result.setAttribute("aria-busy", "true");
    const asked = { version, sheet };
    const image = drawingAsPng();
    await feedbackDone; // a labelled guess is kept, not replaced
    const replaces = replaceableId;
    try {
      const response = await post(app.dataset.predictUrl, { image, replaces });
      if (response.status === 403 && replaces !== null) {
        // Labelled meanwhile (in the admin, another tab): keep it, start afresh.
        if (asked.sheet === sheet) replaceableId = null;
        guessAgain = true;
      } else if (!response.ok) {
        if (asked.version === version) {
          resetResult();
          showMessage(await errorText(response), "error");
        }
      } else {
        const prediction = await response.json();
        if (asked.sheet === sheet) replaceableId = prediction.id;
        addRecent(prediction, image, replaces);
        if (asked.version === version) showGuess(prediction);
      }
    } catch {
      if (asked.version === version) {
        resetResult();
        showMessage(UNREACHABLE, "error");
      }
    } finally {
      requesting = false;
      result.removeAttribute("aria-busy");
      if (guessAgain && !stroke) {
        guessAgain = false;
        guess();
      }
    }
  }

  // Feedback ----------------------------------------------------------------

  function labelText(digit, label) {
    return label === digit ? "✓ right" : `✗ was ${label}`;
  }

  async function sendFeedback(button) {
    const prediction = shown;
    const label = button.dataset.label ? Number(button.dataset.label) : prediction.digit;
    for (const each of feedbackButtons) each.disabled = true;
    let done;
    feedbackDone = new Promise((resolve) => {
      done = resolve;
    });
    try {
      const url = app.dataset.feedbackUrl.replace("{id}", String(prediction.id));
      const response = await post(url, { label });
      if (!response.ok) {
        showMessage(await errorText(response), "error");
        return;
      }
      if (replaceableId === prediction.id) replaceableId = null;
      const item = recentList.querySelector(`li[data-id="${prediction.id}"]`);
      if (item) item.querySelector(".recent-label").textContent = labelText(prediction.digit, label);
      for (const each of feedbackButtons) each.setAttribute("aria-pressed", String(each === button));
      showMessage(
        label === prediction.digit
          ? `Thanks! Noted: it was a ${label}, as guessed.`
          : `Thanks! Noted: it was a ${label}.`,
      );
    } catch {
      showMessage(UNREACHABLE, "error");
    } finally {
      done();
      if (shown === prediction && shownVersion === version) {
        for (const each of feedbackButtons) each.disabled = false;
      }
    }
  }

  // Recent drawings ------------------------------------------------------

  function addRecent(prediction, image, replaces) {
    const item = recentItem.content.firstElementChild.cloneNode(true);
    item.dataset.id = String(prediction.id);
    item.querySelector("img").src = image;
    item.querySelector(".recent-guess strong").textContent = String(prediction.digit);
    const replaced =
      replaces === null ? null : recentList.querySelector(`li[data-id="${replaces}"]`);
    if (replaced) replaced.replaceWith(item);
    else recentList.prepend(item);
    while (recentList.children.length > Number(recentList.dataset.limit)) {
      recentList.lastElementChild.remove();
    }
    recentEmpty.hidden = true;
  }

  // Controls ----------------------------------------------------------------

  for (const radio of document.querySelectorAll('input[name="pen"]')) {
    radio.addEventListener("change", () => {
      penWidth = Number(radio.value);
    });
  }
  undoButton.addEventListener("click", undo);
  document.getElementById("clear").addEventListener("click", clear);
  document.getElementById("guess").addEventListener("click", guess);
  for (const button of feedbackButtons) {
    button.addEventListener("click", () => sendFeedback(button));
  }
  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.altKey) return;
    const command = event.ctrlKey || event.metaKey;
    if (command && !event.shiftKey && event.key.toLowerCase() === "z") {
      event.preventDefault();
      undo();
    } else if (!command && event.key === "Escape") {
      clear();
    }
  });

  new ResizeObserver(fitPad).observe(pad);
  fitPad();
})();
