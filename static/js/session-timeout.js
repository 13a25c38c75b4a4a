// Warns before the idle time-out (accounts.middleware.SessionLimitsMiddleware) and lets people stay signed in.
// The server enforces the time-out with or without this script; this only warns and keeps the clock honest
// when the person is busy in another tab (GET on the keep-alive URL reports the time left without resetting it).
const body = document.body;
const idleSeconds = Number(body.dataset.sessionIdleSeconds);
const warningSeconds = Number(body.dataset.sessionWarningSeconds);
const dialog = document.getElementById("session-timeout-dialog");

if (idleSeconds > 0 && dialog && typeof dialog.showModal === "function") {
  const keepAliveForm = dialog.querySelector("form[data-keep-alive]");
  const statusUrl = dialog.dataset.statusUrl;
  let timer = null;
  let returnFocusTo = null;

  const reloadToSignIn = () => window.location.assign(window.location.href.split("#")[0]);

  const schedule = (secondsLeft) => {
    window.clearTimeout(timer);
    if (secondsLeft > warningSeconds) {
      timer = window.setTimeout(check, (secondsLeft - warningSeconds) * 1000);
    } else {
      warn();
      timer = window.setTimeout(check, Math.max(secondsLeft, 0) * 1000 + 1000);
    }
  };

  const warn = () => {
    if (!dialog.open) {
      returnFocusTo = document.activeElement;
      dialog.setAttribute("aria-labelledby", "session-timeout-heading");
      dialog.setAttribute("aria-describedby", "session-timeout-text");
      dialog.showModal();
    }
    dialog.focus();
  };

  const hide = () => {
    if (dialog.open) {
      dialog.close();
      dialog.removeAttribute("aria-labelledby");
      dialog.removeAttribute("aria-describedby");
      if (returnFocusTo && typeof returnFocusTo.focus === "function") returnFocusTo.focus();
    }
  };

  const check = async () => {
    try {
      const response = await fetch(statusUrl, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!response.ok || response.redirected) return reloadToSignIn();
      const data = await response.json();
      if (data.seconds_left <= 0) return reloadToSignIn();
      if (data.seconds_left > warningSeconds) hide();
      schedule(data.seconds_left);
    } catch (error) {
      schedule(warningSeconds);
    }
  };

  const stay = async () => {
    try {
      const response = await fetch(keepAliveForm.action, {
        method: "POST", body: new FormData(keepAliveForm), headers: { Accept: "application/json" },
      });
      if (!response.ok || response.redirected) return reloadToSignIn();
      const data = await response.json();
      if (data.seconds_left <= 0) return reloadToSignIn();
      hide();
      schedule(data.seconds_left);
    } catch (error) {
      reloadToSignIn();
    }
  };

  keepAliveForm.addEventListener("submit", (event) => {
    event.preventDefault();
    stay();
  });
  // Escape is someone at the keyboard: treat it as "Stay signed in".
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    stay();
  });

  schedule(idleSeconds);
}
