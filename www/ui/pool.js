// The key pool and key store view: how each round drew on and refilled the pools.
export function initPool(root) {
  root.hidden = false;
  const list = root.querySelector("#pool-log");
  return {
    round(mode, r, storeCounts) {
      const li = document.createElement("li");
      li.dataset.round = String(r.round);
      li.textContent =
        `Round ${r.round} (${mode}): pools A→B ${r.before[0]} → ${r.after[0]} bits, B→A ${r.before[1]} → ${r.after[1]} bits ` +
        `(took ${r.taken[0]} + ${r.taken[1]}, added ${r.added[0]} + ${r.added[1]}); ${r.storedKeys} keys to the stores ` +
        `(now ${storeCounts.ab} for Alice→Bob, ${storeCounts.ba} for Bob→Alice).`;
      list.append(li);
      root.dataset.rounds = String(r.round);
    },
    stopped(message) {
      const li = document.createElement("li");
      li.className = "bad";
      li.textContent = message;
      list.append(li);
    },
  };
}

export function showSafetyNumber(el, number) {
  el.hidden = false;
  el.querySelector("output").textContent = number;
}
