// Eve's "years later" panel: three switches, then what she can read of her recording.
export function initLater(root, { onRead }) {
  root.hidden = false;
  const form = root.querySelector("#later-form");
  const verdict = root.querySelector("#later-verdict");
  const log = root.querySelector("#later-log");
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const breaks = Object.fromEntries(["discreteLog", "lattice", "credential"].map((k) => [k, form.elements[k].checked]));
    const r = await onRead(breaks);
    root.dataset.falls = String(r.verdict.falls);
    root.dataset.recovered = String(r.verdict.recovered);
    verdict.textContent = r.verdict.why;
    log.replaceChildren(...r.messages.map((m) => {
      const who = m.from === "alice" ? "Alice" : "Bob";
      const li = document.createElement("li");
      if (m.text === null) {
        li.className = "bad";
        li.textContent = `${who}: (unreadable)`;
      } else {
        li.textContent = `${who}: ${m.text} (decrypted years later)`;
      }
      return li;
    }));
  });
}
