/** The q-quantile (0..1) of `values` by linear interpolation; NaN for an empty list. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** `{ name: median, name_min, name_max }` over repeated runs, rounded for a readable table. */
export function spread(name: string, values: readonly number[], digits = 3): Record<string, number> {
  const round = (x: number) => Number(x.toFixed(digits));
  return {
    [name]: round(median(values)),
    [`${name}_min`]: round(Math.min(...values)),
    [`${name}_max`]: round(Math.max(...values)),
  };
}
