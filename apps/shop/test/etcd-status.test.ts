import { startEtcdCluster, type EtcdCluster } from '@ballast/etcd-cluster';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { etcdStatus } from '../src/process-cluster.js';

describe("the etcd panel's member states", () => {
  let etcd: EtcdCluster;
  beforeAll(async () => {
    etcd = await startEtcdCluster({ members: 3 });
  });
  afterAll(async () => {
    await etcd?.stop();
  });

  const summary = async (cluster: EtcdCluster = etcd) =>
    (await etcdStatus({ endpoints: etcd.endpoints, etcdCluster: cluster })).map((m) => [m.running, m.leader]);

  it('after a full restart, by this process or another: every member that answers is up, exactly one leader', async () => {
    await etcd.stopAll();
    expect(await summary()).toEqual([
      [false, false],
      [false, false],
      [false, false],
    ]);
    await etcd.startAll();
    const after = await summary();
    expect(after.filter(([running]) => running)).toHaveLength(3);
    expect(after.filter(([, leader]) => leader)).toHaveLength(1);

    // Restarted by someone else (an operator, another launcher): this process's handles say the
    // members are gone, yet they serve. The panel shows what they answer.
    const stale = {
      members: etcd.members.map((m) => ({ name: m.name, clientUrl: m.clientUrl, running: false })),
    } as unknown as EtcdCluster;
    const rows = await summary(stale);
    expect(rows.filter(([running]) => running)).toHaveLength(3);
    expect(rows.filter(([, leader]) => leader)).toHaveLength(1);
  });
});
