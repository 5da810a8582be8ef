// The key pool and key store view: how each round drew on and refilled the pools.
export function initPool(root) {
  root.hidden = false;
  const list = root.querySelector("#pool-log");
  return {
    round(r, storeCounts) {
      // r: the core's round outcome (LinkRound), as the Link's roundEnded event carries it.
      const li = document.createElement("li");
      li.dataset.round = String(r.round);
      li.textContent =
        `Round ${r.round} (${r.mode}): pools A→B ${r.poolBefore[0]} → ${r.poolAfter[0]} bits, B→A ${r.poolBefore[1]} → ${r.poolAfter[1]} bits ` +
        `(took ${r.poolTaken[0]} + ${r.poolTaken[1]}, added ${r.poolAdded[0]} + ${r.poolAdded[1]}); ${r.storedKeys[0] + r.storedKeys[1]} keys to the stores ` +
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
