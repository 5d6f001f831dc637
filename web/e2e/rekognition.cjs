// A Rekognition program written for AWS, run unmodified against mien: the
// AWS SDK for JavaScript v3 configured by the environment only
// (AWS_ENDPOINT_URL_REKOGNITION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_REGION). Run by TestJavaScriptSDK (internal/rekognition, fake engine)
// and TestRekognitionJavaScriptSDK (internal/server, the real server).
//
// Images come from the environment: INDEX_IMAGE (indexed as "alice"),
// PROBE_IMAGE (another photo of her) and DETECT_IMAGE, each a file path or,
// for the fake engine, "FAKE:..." text. It prints one JSON object.
const fs = require("fs");
const { RekognitionClient, CreateCollectionCommand, IndexFacesCommand, SearchFacesByImageCommand,
  DetectFacesCommand, ListCollectionsCommand, CreateFaceLivenessSessionCommand,
  GetFaceLivenessSessionResultsCommand } = require("@aws-sdk/client-rekognition");

const img = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`rekognition.cjs: ${name} is not set`);
  return { Bytes: v.startsWith("FAKE:") ? Buffer.from(v) : fs.readFileSync(v) };
};

(async () => {
  const out = {};
  const client = new RekognitionClient({});
  await client.send(new CreateCollectionCommand({ CollectionId: "staff",
    Tags: { "mien:consent-purpose": "door access", "mien:consent-expires-days": "30" } }));
  const idx = await client.send(new IndexFacesCommand({ CollectionId: "staff", Image: img("INDEX_IMAGE"), ExternalImageId: "alice", MaxFaces: 1 }));
  out.indexed = idx.FaceRecords.length;
  out.faceId = idx.FaceRecords[0].Face.FaceId;
  const s = await client.send(new SearchFacesByImageCommand({ CollectionId: "staff", Image: img("PROBE_IMAGE") }));
  out.match = s.FaceMatches.map((m) => m.Face.ExternalImageId);
  out.matchIds = s.FaceMatches.map((m) => m.Face.FaceId);
  out.similarity = s.FaceMatches.length ? s.FaceMatches[0].Similarity : 0;
  const d = await client.send(new DetectFacesCommand({ Image: img("DETECT_IMAGE"), Attributes: ["ALL"] }));
  out.detailKeys = Object.keys(d.FaceDetails[0]).sort();
  const bad = new RekognitionClient({ credentials: { accessKeyId: process.env.AWS_ACCESS_KEY_ID, secretAccessKey: "wrong" }, maxAttempts: 1 });
  try { await bad.send(new ListCollectionsCommand({})); } catch (e) { out.wrongSecret = e.name; }
  try { await client.send(new DetectFacesCommand({ Image: { S3Object: { Bucket: "b", Name: "k" } } })); } catch (e) { out.s3 = e.name + ": " + e.message; }
  // Face Liveness: a session made and looked up (a backend without it answers UnknownOperationException).
  try {
    const ls = await client.send(new CreateFaceLivenessSessionCommand({}));
    const r = await client.send(new GetFaceLivenessSessionResultsCommand({ SessionId: ls.SessionId }));
    out.liveness = r.Status + (r.SessionId === ls.SessionId ? "" : " for another id") + (r.ReferenceImage ? " with an image" : "");
  } catch (e) { out.liveness = e.name; }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
