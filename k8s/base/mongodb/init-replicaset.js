// Run by the mongodb-init Job: `mongosh --nodb init-replicaset.js`. Settings come from the
// environment (see init-job.yaml). Every step is idempotent, so a retried Job converges.
const env = process.env;
const members = env.MONGODB_MEMBERS.split(",");
const auth = `${encodeURIComponent(env.MONGO_ROOT_USERNAME)}:${encodeURIComponent(env.MONGO_ROOT_PASSWORD)}`;

function retry(what, fn, attempts = 60) {
  for (let i = 1; ; i++) {
    try {
      return fn();
    } catch (e) {
      if (i >= attempts) throw e;
      print(`${what}: ${e.message}; retrying (${i}/${attempts})`);
      sleep(5000);
    }
  }
}

// 1. Every member answers (the image's entrypoint has created the root user on each).
for (const host of members) {
  retry(`waiting for ${host}`, () => connect(`mongodb://${auth}@${host}/admin?directConnection=true`).hello());
}

// 2. Initiate the set from the first member, unless it already is one.
const first = connect(`mongodb://${auth}@${members[0]}/admin?directConnection=true`);
try {
  const config = {
    _id: env.REPLICA_SET,
    members: members.map((host, i) => ({ _id: i, host, priority: i === 0 ? 2 : 1 })),
  };
  const res = first.adminCommand({ replSetInitiate: config });
  if (!res.ok) throw Object.assign(new Error(res.errmsg), { codeName: res.codeName });
  print(`replica set ${env.REPLICA_SET} initiated`);
} catch (e) {
  if (e.codeName !== "AlreadyInitialized") throw e;
  print(`replica set ${env.REPLICA_SET} already initiated`);
}

// 3. Wait for a primary, then work through the set.
const url = `mongodb://${auth}@${members.join(",")}/admin?replicaSet=${env.REPLICA_SET}`;
db = retry("waiting for a primary", () => {
  const conn = connect(url);
  if (!conn.hello().primary) throw new Error("no primary yet");
  return conn;
});

// 4. The API's own user: read and write on its database only.
const appDb = db.getSiblingDB(env.MONGODB_DB);
if (appDb.getUser(env.MONGODB_APP_USERNAME)) {
  appDb.updateUser(env.MONGODB_APP_USERNAME, { pwd: env.MONGODB_APP_PASSWORD });
  print(`user ${env.MONGODB_APP_USERNAME} updated`);
} else {
  appDb.createUser({ user: env.MONGODB_APP_USERNAME, pwd: env.MONGODB_APP_PASSWORD, roles: [{ role: "readWrite", db: env.MONGODB_DB }] });
  print(`user ${env.MONGODB_APP_USERNAME} created`);
}

// 5. Indexes.
load("/scripts/create-indexes.js");
