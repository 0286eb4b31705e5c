export { CodegenFailedError, GeneratorError, InvalidOptionError, ServiceExistsError } from './errors.js';
export { serviceGenerator } from './service/generator.js';
export { DEFAULT_DIRECTORY, DEFAULT_PORT, parseServiceOptions } from './service/options.js';
export type { ServiceOptions } from './service/options.js';
export type { ServiceGeneratorSchema } from './service/schema.js';
