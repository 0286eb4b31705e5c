import type { ICompare, IKeyValue, IRequestOp } from 'etcd3';
import type { Compare, KeyValue, TxnOp } from './kv-store.js';

/** The range end that selects every key starting with `prefix` (etcd's clientv3.GetPrefixRangeEnd). */
export function prefixEnd(prefix: string): Buffer {
  const bytes = Buffer.from(prefix);
  for (let i = bytes.length - 1; i >= 0; i--) {
    if (bytes[i]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, i + 1));
      end[i] = end[i]! + 1;
      return end;
    }
  }
  return Buffer.from([0]);
}

export function toKeyValue(kv: IKeyValue): KeyValue {
  const lease = String(kv.lease ?? '0');
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    version: Number(kv.version),
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    ...(lease !== '0' ? { lease } : {}),
  };
}

const RESULT = { '==': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const;
const TARGET = { value: 'Value', version: 'Version', modRevision: 'Mod', createRevision: 'Create' } as const;

export function toCompare(compare: Compare): ICompare {
  const base = { key: Buffer.from(compare.key), result: RESULT[compare.op], target: TARGET[compare.target] };
  switch (compare.target) {
    case 'value':
      return { ...base, value: Buffer.from(compare.value) };
    case 'version':
      return { ...base, version: compare.value };
    case 'modRevision':
      return { ...base, mod_revision: compare.value };
    case 'createRevision':
      return { ...base, create_revision: compare.value };
  }
}

export function toRequestOp(op: TxnOp): IRequestOp {
  const key = Buffer.from(op.key);
  switch (op.type) {
    case 'put':
      return { request_put: { key, value: Buffer.from(op.value), lease: op.lease ?? 0 } };
    case 'delete':
      return { request_delete_range: { key } };
    case 'get':
      return { request_range: { key } };
  }
}
