// Types for Vite's import.meta.glob, which vitest provides; core's tests load their fixture files with it.
type TImportGlobOptions = { query?: string; import?: string; eager: true };

// Declaration merging with the global ImportMeta needs an interface.
// eslint-disable-next-line @typescript-eslint/consistent-type-definitions
interface ImportMeta {
  glob<T = unknown>(pattern: string | string[], options: TImportGlobOptions): Record<string, T>;
}
