export { createBalancedChannel } from './balanced-channel.js';
export type { BalancedChannel, BalancedChannelControls } from './balanced-channel.js';
export type { BalancedChannelOptions } from './channel-options.js';
export { EndpointEntry, EndpointTable } from './endpoint-table.js';
export type { EndpointStats, EndpointTableOptions, MovableAttempt } from './endpoint-table.js';
export { balancedUnary } from './balanced-unary.js';
export { balancedStreams } from './balanced-streams.js';
export { createPolicy } from './create-policy.js';
export type { CreatePolicyOptions } from './create-policy.js';
export {
  BUILT_IN_POLICIES,
  DEFAULT_POLICY,
  parsePolicyOptions,
  policyNames,
  registerPolicy,
  resolvePolicy,
} from './policy-registry.js';
export type { BuiltInPolicyName, PolicyName } from './policy-registry.js';
export {
  maglevOptionsSchema,
  noPolicyOptionsSchema,
  peakEwmaOptionsSchema,
  POLICY_OPTIONS_SCHEMAS,
  ringHashOptionsSchema,
  weightedByLoadOptionsSchema,
} from './policy-options.js';
export type {
  HashKey,
  MaglevOptions,
  PeakEwmaOptions,
  PolicyOptions,
  PolicyOptionsInput,
  PolicyOptionsOf,
  RingHashOptions,
  WeightedByLoadOptions,
} from './policy-options.js';
export { pickRequest, plainPick, recordMetadata } from './picker.js';
export type {
  AttemptResult,
  Pick,
  Picker,
  PickMetadata,
  PickRequest,
  Policy,
  PolicyContext,
  PolicyFactory,
} from './picker.js';
export { BalancerError, InvalidBalancerOptionError, PickerBuildError } from './errors.js';
export { murmur3 } from './murmur3.js';
export { roundRobin } from './policies/round-robin.js';
export { randomPolicy } from './policies/random.js';
export { weightedRoundRobin } from './policies/weighted-round-robin.js';
export { leastRequest } from './policies/least-request.js';
export { peakEwma } from './policies/peak-ewma.js';
export { ringHash } from './policies/ring-hash.js';
export { maglev } from './policies/maglev.js';
export { weightedByLoad } from './policies/weighted-by-load.js';
export { loadWeight } from './policies/load-weight.js';
export {
  chooseSubset,
  DEFAULT_STANDBY_SHARE,
  DEFAULT_SUBSET_SIZE,
  rankEndpoints,
  rendezvousSubset,
} from './subset/rendezvous-subset.js';
export type { Ranking, SubsetOptions } from './subset/rendezvous-subset.js';
export { DEFAULT_HOLD_DOWN_MS, HOLD_DOWN_SHARE, SubsetHoldDown } from './subset/hold-down.js';
export { localZoneShare, OVERPROVISIONING_FACTOR, zoneOf } from './zone/zone-share.js';
export { splitByZone, ZonePicker, zonePicker } from './zone/zone-picker.js';
export type { ZoneSplit } from './zone/zone-picker.js';
export { slowStartFactor, slowStartSchema } from './slow-start/slow-start.js';
export type { SlowStartOptions, SlowStartOptionsInput } from './slow-start/slow-start.js';
export { SlowStartPicker, SlowStartTracker } from './slow-start/slow-start-picker.js';
