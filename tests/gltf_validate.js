// Validate one glTF file with the Khronos validator (npm package gltf-validator) and print its
// JSON report on stdout: node gltf_validate.js FILE. NODE_PATH must reach gltf-validator.
"use strict";
const fs = require("fs");
const path = require("path");
const validator = require("gltf-validator");

const file = process.argv[2];
const data = new Uint8Array(fs.readFileSync(file));
validator.validateBytes(data, {
    uri: path.basename(file),
    maxIssues: 0,
    externalResourceFunction: (uri) => Promise.reject(new Error("no external resource: " + uri)),
}).then((report) => {
    process.stdout.write(JSON.stringify(report));
}).catch((error) => {
    process.stderr.write(String(error) + "\n");
    process.exit(1);
});
