// The encrypted chat panel.
export function initChat(root, { onSend }) {
  root.hidden = false;
  const list = root.querySelector("#chat-log");
  const form = root.querySelector("#chat-form");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const text = form.elements.text.value.trim();
    if (text) onSend(text);
    form.elements.text.value = "";
  });
  return {
    /** No more sending: the other side is gone (`why`). */
    closed(why) {
      form.querySelectorAll("input, button").forEach((el) => (el.disabled = true));
      list.append(Object.assign(document.createElement("li"), { className: "bad", textContent: `(chat closed: ${why})` }));
    },
    bad(who, text) {
      list.append(Object.assign(document.createElement("li"), { className: "bad", textContent: `${who}: ${text}` }));
    },
    add(who, text) {
      const li = document.createElement("li");
      if (text === null) {
        li.className = "bad";
        li.textContent = `${who}: (a message that does not decrypt with this key)`;
      } else {
        li.textContent = `${who}: ${text}`;
      }
      list.append(li);
    },
  };
}
