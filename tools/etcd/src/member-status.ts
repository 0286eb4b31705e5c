/** What one member says about itself and the cluster, from etcd's JSON gateway. */
export interface MemberStatus {
  memberId: string;
  leaderId: string;
  raftTerm: number;
}

/**
 * POST /v3/maintenance/status on the member's client URL. Rejects when the member does not
 * answer within `timeoutMs` (stopped, frozen, or still starting).
 */
export async function memberStatus(clientUrl: string, timeoutMs = 500): Promise<MemberStatus> {
  const response = await fetch(`${clientUrl}/v3/maintenance/status`, {
    method: 'POST',
    body: '{}',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`${clientUrl}: status ${response.status}`);
  const body = (await response.json()) as { header?: { member_id?: string }; leader?: string; raftTerm?: string };
  return {
    memberId: body.header?.member_id ?? '',
    leaderId: body.leader ?? '0',
    raftTerm: Number(body.raftTerm ?? 0),
  };
}
