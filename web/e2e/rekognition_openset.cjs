// Open-set search through an unmodified AWS SDK for JavaScript v3 program,
// configured by the environment only (AWS_ENDPOINT_URL_REKOGNITION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION): index one photo of
// each enrolled person, then search with photos of people who were never
// indexed and with the enrolled people's other photos, at the SDK's default
// FaceMatchThreshold of 80. Run by TestRekognitionJavaScriptSDKOpenSet
// (internal/server) against mien serve with LFW photos.
//
// OPENSET_PLAN is the path of a JSON file:
//   {"index": [{"person": "...", "path": "..."}],
//    "probes": [{"person": "...", "enrolled": true|false, "path": "..."}]}
// It prints one JSON object: for each probe, the ExternalImageIds matched
// (best first), the best Similarity, and the nearest face at any Similarity.
const fs = require("fs");
const { RekognitionClient, CreateCollectionCommand, IndexFacesCommand, SearchFacesByImageCommand,
  DescribeCollectionCommand } = require("@aws-sdk/client-rekognition");

(async () => {
  const plan = JSON.parse(fs.readFileSync(process.env.OPENSET_PLAN, "utf8"));
  const client = new RekognitionClient({});
  const CollectionId = "openset";
  await client.send(new CreateCollectionCommand({ CollectionId,
    Tags: { "mien:consent-purpose": "open-set search test", "mien:consent-expires-days": "1" } }));
  const out = { indexed: [], notIndexed: [], probes: [] };
  for (const p of plan.index) {
    const r = await client.send(new IndexFacesCommand({ CollectionId, Image: { Bytes: fs.readFileSync(p.path) },
      ExternalImageId: p.person, MaxFaces: 1, QualityFilter: "NONE" }));
    (r.FaceRecords.length === 1 ? out.indexed : out.notIndexed).push(p.person);
  }
  const d = await client.send(new DescribeCollectionCommand({ CollectionId }));
  out.faceCount = d.FaceCount;
  out.faceModelVersion = d.FaceModelVersion;
  for (const p of plan.probes) {
    const res = { person: p.person, enrolled: p.enrolled, path: p.path, matches: [], best: 0 };
    try {
      // FaceMatchThreshold left out: the SDK's default, 80.
      const s = await client.send(new SearchFacesByImageCommand({ CollectionId, Image: { Bytes: fs.readFileSync(p.path) } }));
      res.matches = s.FaceMatches.map((m) => m.Face.ExternalImageId);
      res.best = s.FaceMatches.length ? s.FaceMatches[0].Similarity : 0;
      // The nearest face whatever its Similarity: how far below 80 a stranger stays.
      const n = await client.send(new SearchFacesByImageCommand({ CollectionId, Image: { Bytes: fs.readFileSync(p.path) },
        FaceMatchThreshold: 0, MaxFaces: 1 }));
      res.nearest = n.FaceMatches.length ? n.FaceMatches[0].Face.ExternalImageId : "";
      res.nearestSimilarity = n.FaceMatches.length ? n.FaceMatches[0].Similarity : 0;
    } catch (e) {
      res.error = e.name + ": " + e.message; // e.g. no face in the photo
    }
    out.probes.push(res);
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
