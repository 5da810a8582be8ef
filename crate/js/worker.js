// qkdlab in a Web Worker: a long session (1e6+ pulses) runs off the page's thread.
// const w = new Worker(new URL("qkdlab/worker", import.meta.url), { type: "module" });
// w.postMessage({ options });  // SimulateOptions
// w.onmessage = ({ data }) => data.progress ? show(data.progress) : data.report ? done(data.report) : fail(data.error);
import init, { Session } from "./qkdlab.js";

const ready = init();

self.onmessage = async ({ data }) => {
  await ready;
  try {
    const session = new Session(data.options);
    let turns = 0;
    while (session.step()) {
      if (++turns % 8 === 0) self.postMessage({ progress: session.progress });
    }
    self.postMessage({ report: session.report() });
  } catch (e) {
    self.postMessage({ error: { code: e.code, message: e.message, field: e.field } });
  }
};
