import type { Logger } from '@ballast/core';
import { fromBinary, toBinary, create } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema, type FileDescriptorProto } from '@bufbuild/protobuf/wkt';
import { grpcProtoset } from '@ballast/stubs/grpc-protoset';
import { ServerReflection, ServerReflectionService } from 'nice-grpc-server-reflection';
import type { ServiceEntry } from './serve-options.js';

export const HEALTH_SERVICE = 'grpc.health.v1.Health';
export const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];

/**
 * gRPC server reflection, v1 and v1alpha (older grpcurl and many tools speak only v1alpha; the two
 * are the same messages in two packages, so one implementation serves both). It lists every
 * service served — the given ones, health and reflection itself — and describes only those: the
 * files declaring them and their imports, never the rest of the descriptor set it was given.
 */
export function reflectionServices(options: {
  /** Full names of the application's services. */
  readonly services: readonly string[];
  /** Descriptors of the application's services (a FileDescriptorSet). */
  readonly protoset: Uint8Array;
  readonly logger?: Logger;
}): ServiceEntry[] {
  const served = [...options.services, HEALTH_SERVICE, ...REFLECTION_SERVICES];
  const { bytes, missing } = describeServices(served, [options.protoset, grpcProtoset]);
  if (missing.length > 0) {
    options.logger?.warn({ missing }, 'reflection has no descriptor for these services: give serve() their protoset');
  }
  const implementation = ServerReflection(bytes, served);
  const v1 = ServerReflectionService;
  const v1alpha: ServiceEntry['definition'] = {
    serverReflectionInfo: {
      ...v1.serverReflectionInfo,
      path: '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo' as string,
    },
  };
  return [
    { definition: v1, implementation },
    { definition: v1alpha, implementation },
  ];
}

/**
 * The files (from several FileDescriptorSets; the first file of a name wins) that declare the
 * given services, with everything they import, as one FileDescriptorSet.
 */
export function describeServices(
  services: readonly string[],
  protosets: readonly Uint8Array[],
): { bytes: Uint8Array; missing: string[] } {
  const files = new Map<string, FileDescriptorProto>();
  for (const set of protosets) {
    for (const file of fromBinary(FileDescriptorSetSchema, set).file)
      if (!files.has(file.name)) files.set(file.name, file);
  }
  const declaring = new Map<string, string>();
  for (const file of files.values()) {
    for (const svc of file.service) declaring.set(file.package ? `${file.package}.${svc.name}` : svc.name, file.name);
  }
  const keep = new Set<string>();
  const add = (name: string) => {
    const file = files.get(name);
    if (!file || keep.has(name)) return;
    keep.add(name);
    for (const dependency of file.dependency) add(dependency);
  };
  const missing: string[] = [];
  for (const service of services) {
    const file = declaring.get(service);
    if (file) add(file);
    else missing.push(service);
  }
  // Dependencies first, in the order the sets gave them.
  const kept = [...files.values()].filter((file) => keep.has(file.name));
  return { bytes: toBinary(FileDescriptorSetSchema, create(FileDescriptorSetSchema, { file: kept })), missing };
}
