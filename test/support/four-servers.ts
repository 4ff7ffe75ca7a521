/**
 * The four servers most group tests run: A hosts the groups (anna owns them),
 * bram on B and cato on C become members, dirk on D follows bram (and, when
 * asked, anna) but joins nothing, so that what D gets shows any leak.
 */
import { followAndWait } from "./mastodon.ts";
import { startInstances, type TestInstance, type TestUser } from "./instances.ts";
import { createGroup, groupOn, joinGroup, type PleinGroup, waitForMembership } from "./plein.ts";

export interface FourServers {
  instances: TestInstance[];
  A: TestInstance;
  B: TestInstance;
  C: TestInstance;
  D: TestInstance;
  anna: TestUser;
  bram: TestUser;
  cato: TestUser;
  dirk: TestUser;
}

export async function startFourServers(): Promise<FourServers> {
  const instances = await startInstances(4);
  const [A, B, C, D] = instances as [TestInstance, TestInstance, TestInstance, TestInstance];
  const [anna, bram, cato, dirk] = [await A.createUser("anna"), await B.createUser("bram"), await C.createUser("cato"), await D.createUser("dirk")];
  return { instances, A, B, C, D, anna, bram, cato, dirk };
}

/**
 * A closed, open-to-join group on A with bram and cato as members (the group
 * as A, B and C know it); dirk follows bram, and anna too with `dirkFollowsAnna`.
 */
export async function closedGroupOfFour(s: FourServers, fields: Record<string, unknown>, options: { dirkFollowsAnna?: boolean } = {}): Promise<{ group: PleinGroup; onB: PleinGroup; onC: PleinGroup }> {
  const group = await createGroup(s.anna, { visibility: "closed", join_mode: "open", ...fields });
  const handle = `${group.account.username}@${s.A.host}`;
  const [onB, onC] = [await groupOn(s.bram, handle), await groupOn(s.cato, handle)];
  await joinGroup(s.bram, onB);
  await joinGroup(s.cato, onC);
  await waitForMembership(s.bram, onB.id, "member");
  await waitForMembership(s.cato, onC.id, "member");
  await followAndWait(s.dirk, s.bram.handle);
  if (options.dirkFollowsAnna) await followAndWait(s.dirk, s.anna.handle);
  return { group, onB, onC };
}
