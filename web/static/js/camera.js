// The webcam: one stream for the whole app, started on first use.
let stream = null;

// snapshot answers a JPEG of the camera's current frame, showing the
// stream in the given <video>.
export async function snapshot(video) {
  if (!stream) stream = await navigator.mediaDevices.getUserMedia({ video: true });
  if (video.srcObject !== stream) {
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    // The first frames are often black or adjusting their exposure: wait
    // for frames to be presented, about a third of a second.
    const frame = () => new Promise((res) => (video.requestVideoFrameCallback ? video.requestVideoFrameCallback(res) : setTimeout(res, 100)));
    const start = performance.now();
    for (let n = 0; n < 2 || performance.now() - start < 300; n++) await frame();
  }
  const c = document.createElement("canvas");
  c.width = video.videoWidth;
  c.height = video.videoHeight;
  c.getContext("2d").drawImage(video, 0, 0);
  return new Promise((res) => c.toBlob(res, "image/jpeg", 0.92));
}

// startCamera shows the camera in the given <video> and answers once it
// plays (the liveness page takes frames from it continuously).
export async function startCamera(video) {
  if (!stream) stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  if (video.srcObject !== stream) {
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
  }
}

export function stopCamera() {
  if (stream) for (const t of stream.getTracks()) t.stop();
  stream = null;
}

// showCamera starts the webcam (once for the app) in the given <video>.
export async function showCamera(video) {
  if (!stream) stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
  if (video.srcObject !== stream) {
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
  }
}
