// Eve's panel: her attack on the fiber and on the classical channel.
export function initEve(root, { onJoin }) {
  root.hidden = false;
  const form = root.querySelector("#eve-form");
  const log = root.querySelector("#eve-log");
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(form).entries());
    form.querySelectorAll("input, select, button").forEach((el) => (el.disabled = true));
    onJoin({ attack: v.attack, interceptFraction: Number(v.interceptFraction), basis: v.basis, mitm: v.mitm, psk: v.psk });
  });
  return {
    log(text) {
      log.textContent = text;
    },
    guess(text) {
      const el = root.querySelector("#eve-guess");
      el.hidden = false;
      el.textContent = text;
    },
  };
}
