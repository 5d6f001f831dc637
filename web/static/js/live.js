// The webcam streamed to /v1/mesh/stream (a WebSocket): one JPEG frame in
// flight at a time, the next sent once the answer is back, at most fps a
// second. The key goes as the "bearer.KEY" subprotocol (a browser cannot
// set headers on a WebSocket). Frames are never stored, here or there.
import { getKey } from "./api.js";
import { showCamera } from "./camera.js";

export class Live {
  // opts: {video, mode, query, fps, onMessage(m), onFrame(blob), onClose(reason)}
  constructor(opts) { this.o = opts; this.ws = null; this.canvas = document.createElement("canvas"); this.sentAt = 0; }

  async start() {
    await showCamera(this.o.video);
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const q = new URLSearchParams({ mode: this.o.mode, ...(this.o.query || {}) });
    const ws = new WebSocket(`${proto}//${location.host}/v1/mesh/stream?${q}`, ["mien.mesh.v1", "bearer." + getKey()]);
    ws.binaryType = "blob";
    this.ws = ws;
    ws.onopen = () => this.send();
    ws.onmessage = (e) => this.receive(e.data);
    ws.onclose = (e) => { if (this.ws === ws) { this.ws = null; this.o.onClose?.(e.reason || (e.code === 1006 ? "the connection was refused or lost" : "closed")); } };
  }

  receive(data) {
    if (data instanceof Blob) {
      this.o.onFrame?.(data);
      return this.next();
    }
    const m = JSON.parse(data);
    this.o.onMessage?.(m);
    // In effects mode the frame follows its numbers; otherwise go on.
    if (m.type !== "effects") this.next();
  }

  next() {
    const wait = Math.max(0, 1000 / (this.o.fps || 15) - (performance.now() - this.sentAt));
    setTimeout(() => this.send(), wait);
  }

  send() {
    const v = this.o.video, ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN || !v.videoWidth) {
      if (ws && ws.readyState === WebSocket.OPEN) setTimeout(() => this.send(), 100);
      return;
    }
    const scale = Math.min(1, 640 / v.videoWidth);
    this.canvas.width = Math.round(v.videoWidth * scale);
    this.canvas.height = Math.round(v.videoHeight * scale);
    this.canvas.getContext("2d").drawImage(v, 0, 0, this.canvas.width, this.canvas.height);
    this.sentAt = performance.now();
    this.canvas.toBlob((b) => { if (this.ws === ws && ws.readyState === WebSocket.OPEN) ws.send(b); }, "image/jpeg", 0.8);
  }

  params(p) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify({ type: "params", ...p }));
  }

  stop() {
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close(1000, "stopped");
  }
}
