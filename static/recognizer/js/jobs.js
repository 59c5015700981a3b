// The Jobs pages reload themselves while a job is queued or running, so that
// its progress bar moves; the page says so (#job-refresh) and stops once all ended.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const marker = document.getElementById("job-refresh");
  if (!marker) {
    return;
  }
  const seconds = Number(marker.dataset.seconds) || 2;
  window.setTimeout(() => {
    // Not while someone is choosing rows for an action.
    if (!document.querySelector("input.action-select:checked")) {
      window.location.reload();
    }
  }, seconds * 1000);
});
