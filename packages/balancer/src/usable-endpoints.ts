import { validateEndpoints, type Endpoint, type Logger } from '@ballast/core';

/**
 * The usable part of what a source publishes: an entry with a bad address or an id seen twice is
 * dropped and said once (not at every update), never the whole list.
 */
export class UsableEndpoints {
  /** Problems already logged. */
  #reported = new Set<string>();

  constructor(private readonly logger: Logger) {}

  usable(list: readonly Endpoint[]): readonly Endpoint[] {
    try {
      return validateEndpoints(list);
    } catch {
      // Some entry is bad: keep every good one, say what was dropped once.
    }
    const seen = new Set<string>();
    const usable: Endpoint[] = [];
    const reported = new Set<string>();
    for (const endpoint of list) {
      let problem: string | undefined;
      if (seen.has(endpoint.id)) problem = `duplicate endpoint id "${endpoint.id}"; the first one is used`;
      else {
        try {
          validateEndpoints([endpoint]);
        } catch (error) {
          problem = (error as Error).message;
        }
      }
      if (problem === undefined) {
        seen.add(endpoint.id);
        usable.push(endpoint);
        continue;
      }
      const key = `${endpoint.id}|${endpoint.address}|${problem}`;
      reported.add(key);
      if (!this.#reported.has(key))
        this.logger.error({ endpoint: endpoint.id, problem }, 'dropped an unusable endpoint');
    }
    this.#reported = reported;
    return usable;
  }
}
