// The resident's timeline follows along: when the notification stream says one of their inquiries moved,
// ask for this one and reload the page if it has new steps.
(() => {
  const page = document.querySelector("[data-live-inquiry]");
  if (!page || !window.EventSource) return;
  const token = page.dataset.liveInquiry;
  const steps = Number(page.dataset.steps);
  const stream = new EventSource("/api/v1/me/notifications/stream");
  stream.addEventListener("notification", async (message) => {
    let item = {};
    try { item = JSON.parse(message.data); } catch { return; }
    if (!String(item.category).startsWith("wenzheng.")) return;
    const answer = await fetch(`/api/v1/wenzheng/inquiries/${token}`, { credentials: "same-origin" });
    if (answer.ok && (await answer.json()).timeline.length !== steps) window.location.reload();
  });
})();
