import { request } from 'node:https';

/** What one member says about itself and the cluster, from etcd's JSON gateway. */
export interface MemberStatus {
  memberId: string;
  leaderId: string;
  raftTerm: number;
}

/** PEM contents for probing an https:// member: the CA that signed it and, for client-cert auth, a client pair. */
export interface StatusTls {
  ca: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

/**
 * POST /v3/maintenance/status on the member's client URL. Rejects when the member does not
 * answer within `timeoutMs` (stopped, frozen, or still starting). An https:// URL needs `tls`.
 */
export async function memberStatus(clientUrl: string, timeoutMs = 500, tls?: StatusTls): Promise<MemberStatus> {
  const body = JSON.parse(await postStatus(clientUrl, timeoutMs, tls)) as {
    header?: { member_id?: string };
    leader?: string;
    raftTerm?: string;
  };
  return {
    memberId: body.header?.member_id ?? '',
    leaderId: body.leader ?? '0',
    raftTerm: Number(body.raftTerm ?? 0),
  };
}

async function postStatus(clientUrl: string, timeoutMs: number, tls: StatusTls | undefined): Promise<string> {
  const url = `${clientUrl}/v3/maintenance/status`;
  const signal = AbortSignal.timeout(timeoutMs);
  if (!clientUrl.startsWith('https:')) {
    const response = await fetch(url, { method: 'POST', body: '{}', signal });
    if (!response.ok) throw new Error(`${clientUrl}: status ${response.status}`);
    return response.text();
  }
  if (!tls) throw new Error(`${clientUrl}: an https:// member needs the tls option (its CA) to be probed`);
  // Node's fetch takes no custom CA, so https goes through node:https with the test CA.
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: tls.ca, cert: tls.cert, key: tls.key, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200) reject(new Error(`${clientUrl}: status ${res.statusCode}`));
        else resolve(text);
      });
    });
    req.on('error', reject);
    req.end('{}');
  });
}
