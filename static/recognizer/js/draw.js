// The drawing page. Strokes come from mouse, pen and touch (Pointer Events)
// and are kept as point lists, so undo and resizing simply redraw them. The
// server guesses shortly after each stroke; the page shows the guess, how
// sure the model is of each digit, and the picture the model received.
"use strict";

(() => {
  // The model's preprocessing is written for 280x280 canvas PNGs: whatever
  // the screen, what is sent is drawn at this size.
  const SIZE = 280;
  const INK = "#000";
  // Long enough to be sure a stroke is not followed at once by the next
  // (a "7"'s bar, a "4"'s cross), short enough to feel live.
  const LIVE_DELAY_MS = 350;
  // Below this, the model is right about half the time (measured on real
  // handwriting): such a guess is shown as a doubt, not an answer.
  const SURE_ENOUGH = 0.6;
  const NOT_A_DIGIT = "not_a_digit"; // the API's label for a drawing that is none
  const MODEL_CHECK_MS = 10000;
  const UNREACHABLE = "The server cannot be reached. Check your connection.";

  const app = document.querySelector(".app");
  const pad = document.getElementById("pad");
  const padContext = pad.getContext("2d");
  const outgoing = document.createElement("canvas");
  outgoing.width = outgoing.height = SIZE;
  const outgoingContext = outgoing.getContext("2d");
  const seen = document.getElementById("seen");
  const seenContext = seen.getContext("2d");
  const result = document.querySelector(".result");
  const message = document.getElementById("message");
  const digitOutput = document.getElementById("digit");
  const confidenceOutput = document.getElementById("confidence");
  const nearestOutput = document.getElementById("nearest");
  const bars = [...document.querySelectorAll("#bars li")];
  const feedback = document.getElementById("feedback");
  const feedbackButtons = [...feedback.querySelectorAll("button")];
  const undoButton = document.getElementById("undo");
  const modelNote = document.getElementById("model-note");
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
    // Taking every stroke back takes the drawing back: its guess is not kept.
    if (!strokes.length) withdraw();
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
    // A drawing refused before any guess: the message takes the guess's place.
    result.classList.toggle("refused", kind === "error" && shown === null && text !== "");
  }

  function markStale() {
    result.classList.toggle("stale", shownVersion !== -1);
    for (const button of feedbackButtons) button.disabled = true;
  }

  function resetResult() {
    shownVersion = -1;
    shown = null;
    result.classList.remove("stale", "unsure");
    digitOutput.textContent = "?";
    confidenceOutput.textContent = "Draw a digit.";
    nearestOutput.hidden = true;
    seenContext.clearRect(0, 0, seen.width, seen.height);
    feedback.dataset.shown = "false";
    for (const bar of bars) {
      bar.classList.remove("top");
      bar.querySelector(".bar-fill").style.width = "0%";
      bar.querySelector(".bar-value").textContent = "–";
    }
  }

  function showSeen(features) {
    const side = Math.round(Math.sqrt(features.length));
    seen.width = seen.height = side;
    const picture = seenContext.createImageData(side, side);
    // Ink as opacity (0 paper .. 16 ink) over the page's paper colour.
    features.forEach((value, index) => {
      picture.data.set([0, 0, 0, Math.round((value * 255) / 16)], index * 4);
    });
    seenContext.putImageData(picture, 0, 0);
  }

  // Rounding must not claim certainty: 99.7% is "> 99%", never "100%".
  function percent(probability) {
    if (probability >= 0.995) return "> 99%";
    if (probability > 0 && probability < 0.005) return "< 1%";
    return `${Math.round(probability * 100)}%`;
  }

  // "an 8", "a 7": the article as the digit's name is said.
  function aDigit(digit) {
    return `${digit === 8 ? "an" : "a"} ${digit}`;
  }

  function verdict(prediction) {
    if (prediction.not_a_digit) return "That doesn't look like a digit";
    const [first, second] = prediction.probabilities
      .map((probability, digit) => ({ probability, digit }))
      .sort((a, b) => b.probability - a.probability);
    if (prediction.confidence < SURE_ENOUGH) {
      return `Not sure — is it ${aDigit(first.digit)} or ${aDigit(second.digit)}?`;
    }
    return `${percent(prediction.confidence)} sure it is ${aDigit(prediction.digit)}`;
  }

  function showGuess(prediction) {
    shown = prediction;
    shownVersion = version;
    result.classList.remove("stale");
    result.classList.toggle("unsure", prediction.not_a_digit || prediction.confidence < SURE_ENOUGH);
    // A refused drawing shows no digit; the nearest one only in small type.
    digitOutput.textContent = prediction.not_a_digit ? "?" : String(prediction.digit);
    confidenceOutput.textContent = verdict(prediction);
    nearestOutput.hidden = !prediction.not_a_digit;
    nearestOutput.textContent = `Nearest digit: ${prediction.digit} (${percent(prediction.confidence)})`;
    prediction.probabilities.forEach((probability, digit) => {
      const bar = bars[digit];
      bar.classList.toggle("top", digit === prediction.digit);
      bar.querySelector(".bar-fill").style.width = `${probability * 100}%`;
      bar.querySelector(".bar-value").textContent = percent(probability);
    });
    showSeen(prediction.features);
    feedback.dataset.shown = "true";
    for (const button of feedbackButtons) {
      button.disabled = false;
      button.setAttribute("aria-pressed", "false");
    }
    showMessage("");
  }

  // The server's words for an error and its code (null when it sent none).
  async function errorOf(response) {
    try {
      const body = await response.json();
      if (body && body.detail) return [body.detail, body.code || null];
    } catch {
      // Not JSON: fall through to the status line.
    }
    return [`The server answered ${response.status} ${response.statusText}.`, null];
  }

  async function errorText(response) {
    return (await errorOf(response))[0];
  }

  function post(url, body, method = "POST") {
    return fetch(url, {
      method,
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrfToken,
        "X-Drawing-Page": "1", // stored as the page's drawings, not the API's
      },
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  function predictionUrl(template, id) {
    return template.replace("{id}", String(id));
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
        // Every stroke was undone while it was guessed: take it back too.
        if (asked.sheet === sheet && !strokes.length) withdraw();
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

  async function withdraw() {
    const id = replaceableId;
    if (id === null) return;
    replaceableId = null;
    await feedbackDone; // a labelled guess is kept, not taken back
    try {
      const response = await post(predictionUrl(app.dataset.predictionUrl, id), undefined, "DELETE");
      if (response.ok) recentList.querySelector(`li[data-id="${id}"]`)?.remove();
      recentEmpty.hidden = recentList.children.length > 0;
    } catch {
      showMessage(UNREACHABLE, "error");
    }
  }

  // Feedback ----------------------------------------------------------------

  function labelText(prediction, label) {
    if (label === NOT_A_DIGIT) return prediction.not_a_digit ? "✓ right" : "✗ not a digit";
    return label === prediction.digit && !prediction.not_a_digit ? "✓ right" : `✗ was ${label}`;
  }

  function thanks(prediction, label) {
    if (label === NOT_A_DIGIT) return "Thanks! Noted: it was not a digit.";
    const asGuessed = label === prediction.digit && !prediction.not_a_digit;
    return `Thanks! Noted: it was ${aDigit(label)}${asGuessed ? ", as guessed" : ""}.`;
  }

  async function sendFeedback(button) {
    const prediction = shown;
    // "Yes" to a refusal says it was no digit indeed.
    const guessed = prediction.not_a_digit ? NOT_A_DIGIT : prediction.digit;
    const given = button.dataset.label;
    const label = given ? (given === NOT_A_DIGIT ? given : Number(given)) : guessed;
    for (const each of feedbackButtons) each.disabled = true;
    let done;
    feedbackDone = new Promise((resolve) => {
      done = resolve;
    });
    try {
      const url = predictionUrl(app.dataset.feedbackUrl, prediction.id);
      const response = await post(url, { label });
      if (!response.ok) {
        const [text, code] = await errorOf(response);
        // A reviewer's label is final: say so and stop offering corrections.
        if (code === "already_labelled") prediction.labelFinal = true;
        showMessage(text, "error");
        return;
      }
      if (replaceableId === prediction.id) replaceableId = null;
      const item = recentList.querySelector(`li[data-id="${prediction.id}"]`);
      if (item) item.querySelector(".recent-label").textContent = labelText(prediction, label);
      for (const each of feedbackButtons) each.setAttribute("aria-pressed", String(each === button));
      showMessage(thanks(prediction, label));
    } catch {
      showMessage(UNREACHABLE, "error");
    } finally {
      done();
      if (shown === prediction && shownVersion === version && !prediction.labelFinal) {
        for (const each of feedbackButtons) each.disabled = false;
      }
    }
  }

  // Recent drawings ------------------------------------------------------

  function addRecent(prediction, image, replaces) {
    const item = recentItem.content.firstElementChild.cloneNode(true);
    item.dataset.id = String(prediction.id);
    item.querySelector("img").src = image;
    const guess = item.querySelector(".recent-guess");
    if (prediction.not_a_digit) guess.innerHTML = "<strong>Not a digit</strong>";
    else guess.querySelector("strong").textContent = String(prediction.digit);
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

  // While a quick model serves (the first minutes after `make run`), say when
  // the better one, trained meanwhile, takes over.
  async function watchModel() {
    try {
      const response = await fetch(app.dataset.modelUrl, { headers: { Accept: "application/json" } });
      const model = response.ok ? await response.json() : null;
      if (model && model.version !== app.dataset.modelVersion) {
        modelNote.textContent = "A better model has taken over: guesses now come from it.";
        return;
      }
    } catch {
      // Offline for a moment: look again later.
    }
    setTimeout(watchModel, MODEL_CHECK_MS);
  }

  if (app.dataset.modelFast === "true") setTimeout(watchModel, MODEL_CHECK_MS);
  new ResizeObserver(fitPad).observe(pad);
  fitPad();
})();
