// "Get push notifications on this device": registers /sw.js, subscribes with the server's VAPID
// key and sends the subscription to /api/v1/push/subscriptions (or removes it again).
const status = document.getElementById("push-status");
const on = document.getElementById("push-enable");
const off = document.getElementById("push-disable");

function say(text) {
  if (status) status.textContent = text;
}

function keyBytes(b64) {
  const pad = "=".repeat((4 - (b64.length % 4)) % 4);
  const raw = atob((b64 + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(raw, (c) => c.charCodeAt(0));
}

async function registration() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window)) {
    throw new Error("This browser cannot receive push notifications.");
  }
  return navigator.serviceWorker.register("/sw.js", { scope: "/" });
}

async function enable() {
  try {
    const reg = await registration();
    const { public_key } = await (await fetch("/api/v1/push/key")).json();
    const sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(public_key) });
    const r = await fetch("/api/v1/push/subscriptions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(sub.toJSON()),
    });
    say(r.ok ? "Push notifications are on for this device." : "The server refused this subscription.");
  } catch (e) {
    say(e.message || String(e));
  }
}

async function disable() {
  try {
    const reg = await registration();
    const sub = await reg.pushManager.getSubscription();
    if (sub) {
      await fetch("/api/v1/push/subscriptions", {
        method: "DELETE",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ endpoint: sub.endpoint }),
      });
      await sub.unsubscribe();
    }
    say("Push notifications are off for this device.");
  } catch (e) {
    say(e.message || String(e));
  }
}

if (on) on.addEventListener("click", enable);
if (off) off.addEventListener("click", disable);
