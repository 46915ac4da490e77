// Options of a filter's <select>: the known values, plus the value the URL asks for when the list does not have it
// (still loading after a reload, or gone since), so the uncontrolled select shows and submits what the page filters by.

export function withCurrentOption(values: readonly string[], current: string): string[] {
  return current === "" || values.includes(current) ? [...values] : [...values, current];
}
