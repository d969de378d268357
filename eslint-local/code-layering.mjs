// The architecture as a lint rule: each folder is a layer, and a layer imports only the layers below it.
// Like VS Code's `code-layering`, the layer is read from the file's path, so an upward import is an error
// the moment it is written, not a convention someone has to remember.
import path from 'node:path';

/** Folders (relative to the repository root) and the layers each may import, besides itself. */
export const LAYERS = [
  { name: 'shared', dir: 'src-shared', may: [] },
  { name: 'renderer', dir: 'src-renderer', may: ['shared'] },
  { name: 'engine', dir: 'src-main/engine', may: ['shared'] },
  { name: 'service', dir: 'src-main/service', may: ['engine', 'shared'] },
  { name: 'eval', dir: 'src-main/eval', may: ['engine', 'shared'] },
  { name: 'bench', dir: 'src-main/bench', may: ['engine', 'shared'] },
  { name: 'host', dir: 'src-main/host', may: ['service', 'engine', 'shared'] },
  { name: 'app', dir: 'src-main/app', may: ['service', 'engine', 'shared'] },
  { name: 'cli', dir: 'src-main/cli', may: ['host', 'service', 'eval', 'bench', 'engine', 'shared'] },
];

/** Packages a layer may not import at all: the engine and the renderer stay free of Electron, the renderer of Node. */
const FORBIDDEN_PACKAGES = {
  shared: [/^node:/, /^electron$/, /^onnxruntime/],
  renderer: [/^node:/, /^electron$/, /^onnxruntime/, /^sharp$/],
  engine: [/^electron$/],
  service: [/^electron$/],
  eval: [/^electron$/],
  bench: [/^electron$/],
  host: [/^electron$/],
  cli: [/^electron$/],
};

const TEST_FRAMEWORKS = [/^vitest(\/|$)/, /^node:test$/, /^playwright/];

export function layerOf(relativeFile) {
  const file = relativeFile.split(path.sep).join('/');
  // Build configuration (src-renderer/vite.config.ts) runs in Node at build time, outside every layer.
  if (/\.config\.[cm]?[jt]s$/.test(file)) return undefined;
  return LAYERS.find((l) => file === l.dir || file.startsWith(l.dir + '/'));
}

/** Tests and their support: `*.test.ts`, and anything in a folder named `test` (the mirrored test trees). */
export function isTestCode(relativeFile) {
  const file = relativeFile.split(path.sep).join('/');
  return /\.test\.[cm]?[jt]s$/.test(file) || file.split('/').slice(0, -1).includes('test');
}

/** What is wrong with `source` imported from `relativeFile`, or undefined. Pure, for the rule and its test. */
export function layeringProblem(relativeFile, source) {
  const from = layerOf(relativeFile);
  if (!from) return undefined;
  const testCode = isTestCode(relativeFile);
  if (!source.startsWith('.')) {
    if (!testCode && TEST_FRAMEWORKS.some((p) => p.test(source))) return `product code may not import the test framework '${source}'`;
    const banned = (FORBIDDEN_PACKAGES[from.name] ?? []).find((p) => p.test(source));
    return banned ? `the ${from.name} layer may not import '${source}'` : undefined;
  }
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(relativeFile.split(path.sep).join('/')), source));
  const to = layerOf(target);
  if (!testCode && isTestCode(target)) return `product code may not import test support ('${source}')`;
  if (!to || to === from) return undefined;
  if (!from.may.includes(to.name)) {
    const allowed = from.may.length ? from.may.join(', ') : 'nothing outside itself';
    return `the ${from.name} layer (${from.dir}) may not import the ${to.name} layer (${to.dir}); it may import ${allowed}`;
  }
  return undefined;
}

export const codeLayering = {
  meta: { type: 'problem', docs: { description: 'imports follow the layering of the architecture' }, schema: [] },
  create(context) {
    const root = context.cwd;
    const relativeFile = path.relative(root, context.filename);
    const check = (node, source) => {
      if (typeof source !== 'string') return;
      const problem = layeringProblem(relativeFile, source);
      if (problem) context.report({ node, message: problem });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node, node.source.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

export default { rules: { 'code-layering': codeLayering } };
