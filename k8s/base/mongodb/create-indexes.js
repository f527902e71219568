// The indexes the API's queries rely on (the API also ensures them at start-up; creating an
// existing index is a no-op). Runs with `db` set: from init-replicaset.js on Kubernetes, and
// from /docker-entrypoint-initdb.d in docker-compose.
(function createIndexes() {
  const target = db.getSiblingDB(process.env.MONGODB_DB || "taskapi");
  const indexes = [
    ["tasks", { userId: 1, createdAt: -1 }, {}],
    ["tasks", { userId: 1, status: 1 }, {}],
    ["tasks", { dueDate: 1, userId: 1 }, {}],
    ["users", { email: 1 }, { unique: true }],
  ];
  for (const [collection, keys, options] of indexes) {
    try {
      const name = target.getCollection(collection).createIndex(keys, options);
      print(`index ${collection}.${name} ready`);
    } catch (e) {
      // Same keys under another name or options (the API made it first): keep theirs.
      if (e.codeName !== "IndexOptionsConflict" && e.codeName !== "IndexKeySpecsConflict") throw e;
      print(`index ${collection} ${tojson(keys)} exists with other options: ${e.message}`);
    }
  }
})();
