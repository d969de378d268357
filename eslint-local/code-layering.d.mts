// Types of the layering rule's pure helpers, for the TypeScript tests that exercise them.
export interface Layer {
  name: string;
  dir: string;
  may: string[];
}
export const LAYERS: Layer[];
export function layerOf(relativeFile: string): Layer | undefined;
export function isTestCode(relativeFile: string): boolean;
export function layeringProblem(relativeFile: string, source: string): string | undefined;
declare const plugin: { rules: Record<string, unknown> };
export default plugin;
