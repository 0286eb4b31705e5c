/** Base class of every error @ballast/tools throws; `code` is stable across versions. */
export class GeneratorError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A generator option failed validation; names the option and what is allowed. */
export class InvalidOptionError extends GeneratorError {
  constructor(
    readonly option: string,
    message: string,
  ) {
    super('INVALID_OPTION', `--${option}: ${message}`);
  }
}

/** The service (its proto package or its project directory) already exists; nothing was written. */
export class ServiceExistsError extends GeneratorError {
  constructor(
    readonly service: string,
    readonly path: string,
  ) {
    super(
      'SERVICE_EXISTS',
      `service "${service}" already exists at ${path}: choose another name or --directory, or delete ${path} first`,
    );
  }
}

/** `npm run codegen` failed after the files were written. */
export class CodegenFailedError extends GeneratorError {
  constructor(readonly exitCode: number | null) {
    super(
      'CODEGEN_FAILED',
      `npm run codegen exited with ${exitCode ?? 'a signal'}: the files were written; fix the error above ` +
        '(npx buf lint proto shows contract problems) and run npm run codegen again',
    );
  }
}
