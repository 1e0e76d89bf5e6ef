// Run once by compose.yaml's mongo-init service: make the three mongod a replica set, then
// wait until it has a primary. Running it again changes nothing.
const members = ["mongo1:27017", "mongo2:27017", "mongo3:27017"];
try {
  rs.status();
  print("replica set rs0 is already initiated");
} catch (error) {
  if (error.codeName !== "NotYetInitialized") throw error;
  rs.initiate({ _id: "rs0", members: members.map((host, i) => ({ _id: i, host })) });
  print("replica set rs0 initiated");
}
const deadline = Date.now() + 120 * 1000;
while (!rs.status().members.some((m) => m.stateStr === "PRIMARY")) {
  if (Date.now() > deadline) throw new Error("no primary after 120 s");
  sleep(500);
}
print("replica set rs0 has a primary");
