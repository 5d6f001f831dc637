// The face-api peer of `mien embed`: every face of every image detected
// (SSD MobileNet v1), given 68 landmarks and a 128-d descriptor, with
// @vladmandic/face-api 1.7.15 on TensorFlow.js 4.22's wasm backend (one
// thread; scripts/bench-faceapi.sh runs two processes, one per core).
//
//   node faceapi.cjs LIST SHARD SHARDS   (LIST: one image path a line)
//
// Prints one JSON line: images, faces, seconds (the loop over the images,
// after the models are loaded).
const fs = require('fs');
const path = require('path');
const jpeg = require('jpeg-js');
const tf = require('@tensorflow/tfjs');
const wasm = require('@tensorflow/tfjs-backend-wasm');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');

const [list, shard, shards] = [process.argv[2], Number(process.argv[3] || 0), Number(process.argv[4] || 1)];
const models = path.join(path.dirname(require.resolve('@vladmandic/face-api/package.json')), 'model');

function tensorOf(file) {
  const img = jpeg.decode(fs.readFileSync(file), { useTArray: true, formatAsRGBA: false });
  return tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
}

async function main() {
  wasm.setThreadsCount(1);
  await tf.setBackend('wasm');
  await tf.ready();
  // Only detection, landmarks and recognition: mien's pipeline. face-api's
  // age, gender and expression models are never loaded.
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(models);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(models);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(models);
  const files = fs.readFileSync(list, 'utf8').split('\n').filter(Boolean).filter((_, i) => i % shards === shard);
  const opts = new faceapi.SsdMobilenetv1Options({ minConfidence: 0.5 });
  let faces = 0;
  const t0 = performance.now();
  for (const f of files) {
    const t = tensorOf(f);
    const res = await faceapi.detectAllFaces(t, opts).withFaceLandmarks().withFaceDescriptors();
    faces += res.length;
    tf.dispose(t);
  }
  const seconds = (performance.now() - t0) / 1000;
  console.log(JSON.stringify({ backend: tf.getBackend(), images: files.length, faces, seconds }));
}

main().catch((e) => { console.error(e); process.exit(1); });
