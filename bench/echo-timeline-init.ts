/**
 * Installed in a page before its scripts (context.addInitScript): timestamps of every WebSocket send
 * and message, every animation frame and every keydown, in the page's clock (`performance.now()`) and
 * as epoch ms (`a*`: comparable with the bench process's `performance.timeOrigin + now()`).
 */
export const INIT = `(() => {
  const log = { sends: [], asends: [], msgs: [], amsgs: [], frames: [], keydowns: [] };
  window.__tl = log;
  const abs = () => performance.timeOrigin + performance.now();
  const Orig = window.WebSocket;
  const send = Orig.prototype.send;
  Orig.prototype.send = function (d) { log.sends.push(performance.now()); log.asends.push(abs()); return send.call(this, d); };
  window.WebSocket = function (...a) {
    const ws = new Orig(...a);
    ws.addEventListener('message', (e) => { log.amsgs.push(abs()); log.msgs.push([performance.now(), typeof e.data === 'string' ? e.data.length : e.data.byteLength]); });
    return ws;
  };
  window.WebSocket.prototype = Orig.prototype;
  Object.assign(window.WebSocket, { CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3 });
  const raf = window.requestAnimationFrame.bind(window);
  const tick = () => { log.frames.push(performance.now()); raf(tick); };
  raf(tick);
  window.addEventListener('keydown', () => log.keydowns.push(performance.now()), { capture: true });
})()`;
