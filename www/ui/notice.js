// The header line: what this tab is doing now, and errors a visitor must see (not a tooltip).
const line = () => document.getElementById("role-line");

export function say(text) {
  const l = line();
  l.classList.remove("error");
  l.textContent = text;
}

export function sayError(text) {
  const l = line();
  l.classList.add("error");
  l.textContent = text;
  document.body.dataset.error = text;
}
