/** Options of `nx g @ballast/tools:service`, as given on the command line (see schema.json). */
export interface ServiceGeneratorSchema {
  /** Service name, kebab-case letters and digits: `inventory`, `order-audit`. */
  name: string;
  /** Default port of the service's `start` script (overridable with PORT). */
  port?: number;
  /** Parent directory of the new package, relative to the workspace root. */
  directory?: string;
  /** Do not run `npm run codegen` after writing the files. */
  skipCodegen?: boolean;
  /** Do not format the written files with the workspace's formatter. */
  skipFormat?: boolean;
}
