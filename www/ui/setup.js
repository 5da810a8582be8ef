// Alice's setup form, the invitation links and the start button.
import { linkFor } from "./url.js";

const randomHex = (n) => [...crypto.getRandomValues(new Uint8Array(n))].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Most pulses in one round over the relay (the relay's `MAX_PENDING_PULSES`). */
export const RELAY_MAX_PULSES = 2 ** 24;

export function initSetup(root, hash, defaults, { onOpenRoom, onRunLocal, onChange }) {
  root.hidden = false;
  const form = root.querySelector("#setup-form");
  // First of all: the form never submits itself (that would put the PSK in a URL).
  form.addEventListener("submit", (e) => e.preventDefault());
  // The core's defaults first (one definition), then what the link's fragment says: only into
  // fields of those names (`namedItem`: a key like "length" or "item" is not a field).
  for (const [k, v] of Object.entries({ ...defaults, ...defaults.channel, ...hash })) {
    const field = form.elements.namedItem(k);
    if (!field || typeof v === "object") continue;
    if (field.type === "checkbox") field.checked = v === true || v === "on";
    else field.value = v;
  }
  if (!form.elements.psk.value) form.elements.psk.value = randomHex(32);
  const values = () => Object.fromEntries(new FormData(form).entries());
  // The laser's fields only when the source is a laser; the PSK only under the PSK bootstrap,
  // with a message that says what it must be.
  const psk = form.elements.psk;
  const checkPsk = () => {
    const bad = form.elements.bootstrap.value === "psk" && !/^[0-9a-fA-F]{64}$/.test(psk.value);
    psk.setCustomValidity(bad ? "The pre-shared key must be 64 hex digits (32 bytes), e.g. the one this page generated." : "");
  };
  const pulses = form.elements.pulses;
  const checkPulses = () => {
    const n = Number(pulses.value);
    const bad = !(Number.isInteger(n) && n >= 1 && n <= 268435456);
    pulses.setCustomValidity(bad ? "Pulses: a whole number from 1 to 268,435,456 (2^28)." : "");
  };
  const sync = () => {
    const noPsk = form.elements.bootstrap.value !== "psk";
    psk.closest("label").hidden = noPsk;
    psk.required = !noPsk;
    checkPsk();
    checkPulses();
    const source = form.elements.source.value;
    form.querySelectorAll("[data-weak]").forEach((l) => {
      const always = l.querySelector("[name=signal], [name=pKeyBasis]");
      l.hidden = !(source === "weak-coherent" || (source === "weak-no-decoys" && always));
    });
    // A classical key exchange has no photons: only the method and the bootstrap stay.
    const classical = form.elements.kex.value !== "qkd";
    form.querySelectorAll("label").forEach((l) => {
      if (!l.querySelector("[name=kex], [name=bootstrap], [name=psk]") && classical) l.hidden = true;
      else if (!classical && !l.hasAttribute("data-weak") && l !== psk.closest("label")) l.hidden = false;
    });
    root.querySelector("#run-local").hidden = classical;
    onChange?.(values());
  };
  form.addEventListener("input", sync);
  form.addEventListener("change", sync);
  sync();
  form.addEventListener("submit", () => {
    // The relay's fiber holds one round of at most 2^24 pulses (`MAX_PENDING_PULSES`); it
    // would refuse a larger Hello and close the room, so the form says so first.
    if (form.elements.kex.value === "qkd" && Number(pulses.value) > RELAY_MAX_PULSES) {
      pulses.setCustomValidity(`Over the relay a round holds at most ${RELAY_MAX_PULSES.toLocaleString("en")} pulses (2^24); larger rounds run with "Run all parties in this tab".`);
      return pulses.reportValidity();
    }
    onOpenRoom(values());
  });
  root.querySelector("#run-local").addEventListener("click", () => form.reportValidity() && onRunLocal(values()));
  return {
    disable() {
      form.querySelectorAll("input, button, select").forEach((el) => (el.disabled = true));
      // Over the relay every random choice comes from the OS: the replay seed has no say. The
      // form has done its job: the room's panels take its place.
      form.elements.seed.closest("label").style.display = "none";
      root.hidden = true;
    },
  };
}

const BOB_LINK = {
  pki: "Bob's link (carries Alice's public key, no secret; compare safety numbers by voice)",
  ca: "Bob's link (carries his identity as the CA provisioned it: his secret key, his certificate, the root he trusts; share it privately)",
  wot: "Bob's link (carries Carol's public key, no secret: Carol signs his key, and Alice's)",
};

export function initLinks(root, { room, extra, eveExtra = {}, carolExtra, onStart }) {
  root.hidden = false;
  if (BOB_LINK[extra.bootstrap]) root.querySelector("#bob-link-label").textContent = BOB_LINK[extra.bootstrap];
  const bob = linkFor({ role: "bob", room, ...extra });
  const eve = linkFor({ role: "eve", room, ...eveExtra });
  Object.assign(root.querySelector("#bob-link"), { href: bob, textContent: bob });
  Object.assign(root.querySelector("#eve-link"), { href: eve, textContent: eve });
  if (carolExtra) {
    const carol = linkFor({ role: "carol", room, ...carolExtra });
    root.querySelector("#carol-invite").hidden = false;
    Object.assign(root.querySelector("#carol-link"), { href: carol, textContent: carol });
  }
  const start = root.querySelector("#start");
  start.addEventListener("click", () => {
    start.disabled = true;
    onStart();
  });
  const closed = () => start.dataset.closed === "1";
  return {
    members(roles, ready = true) {
      root.querySelector("#members").textContent = roles.join(", ");
      start.disabled = !roles.includes("bob") || !ready || start.dataset.started === "1" || closed();
    },
    /** The connection to the relay is gone: no round can start here any more. */
    closed() {
      start.dataset.closed = "1";
      start.disabled = true;
      root.querySelector("#members").textContent = "(the room is closed)";
    },
    started() {
      start.dataset.started = "1";
      start.disabled = true;
    },
    nextRound(ready = true) {
      start.dataset.started = "0";
      start.textContent = "Start another round";
      start.disabled = root.querySelector("#members").textContent.indexOf("bob") < 0 || !ready || closed();
    },
  };
}
