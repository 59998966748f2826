// Reads batches of [lotKey, eventHash] pairs (hex) on stdin and prints, per batch, what
// @openzeppelin/merkle-tree's StandardMerkleTree makes of them: root, node array, and for each
// value its leaf hash and the proof getProof(value) returns.
"use strict";
const path = require("path");
const { StandardMerkleTree } = require(
  path.join(process.argv[2], "node_modules", "@openzeppelin", "merkle-tree")
);

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const batches = JSON.parse(input);
  const results = batches.map((values) => {
    const tree = StandardMerkleTree.of(values, ["bytes32", "bytes32"]);
    return {
      root: tree.root,
      tree: tree.dump().tree,
      leaves: values.map((value) => tree.leafHash(value)),
      proofs: values.map((value) => tree.getProof(value)),
    };
  });
  process.stdout.write(JSON.stringify(results));
});
