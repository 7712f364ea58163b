// tfjs_extract.js — turns a tfjs layers model shipped as UMD .js modules (as npm nsfwjs@4.4.0 ships
// them: model.min.js exports {modelTopology, weightsManifest}; each shard exports a base64 string)
// into plain model.json + weights.bin (the shards decoded and concatenated in manifest order).
// usage: node tfjs_extract.js MODEL_DIR OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');

const [, , modelDir, outDir] = process.argv;
if (!modelDir || !outDir) {
  console.error('usage: node tfjs_extract.js MODEL_DIR OUT_DIR');
  process.exit(2);
}
const model = require(path.resolve(modelDir, 'model.min.js'));
if (!model.modelTopology || !model.weightsManifest) {
  console.error(`${modelDir}/model.min.js does not export {modelTopology, weightsManifest}`);
  process.exit(1);
}
const chunks = [];
for (const group of model.weightsManifest) {
  for (const p of group.paths) {
    const shard = require(path.resolve(modelDir, p + '.min.js'));
    if (typeof shard !== 'string') {
      console.error(`${p}.min.js does not export a base64 string`);
      process.exit(1);
    }
    chunks.push(Buffer.from(shard, 'base64'));
  }
}
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(model));
const weights = Buffer.concat(chunks);
fs.writeFileSync(path.join(outDir, 'weights.bin'), weights);
console.log(`extracted ${model.modelTopology.model_config.config.layers.length} layers, ${weights.length} weight bytes`);
