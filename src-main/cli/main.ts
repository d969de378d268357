// `vtc <command> ...`: each command is one file in ./commands exporting `summary` and `run(argv)`.
// Errors a person can act on (EngineError, CliUsageError) print as one line and exit 1; anything else is a bug
// and keeps its stack.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEngineError } from '../engine/errors';
import { CliUsageError } from './args';

interface Command {
  summary: string;
  run(argv: string[]): Promise<void>;
}

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');

function commandNames(): string[] {
  return readdirSync(commandsDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
}

async function loadCommand(name: string): Promise<Command> {
  return (await import(join(commandsDir, `${name}.ts`))) as Command;
}

async function printHelp(): Promise<void> {
  const lines = ['usage: vtc <command> [options]', '', 'commands:'];
  for (const name of commandNames()) lines.push(`  ${name.padEnd(10)} ${(await loadCommand(name)).summary}`);
  console.log(lines.join('\n'));
}

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') return printHelp();
  if (!commandNames().includes(name)) throw new CliUsageError(`unknown command '${name}' (try: vtc --help)`);
  await (await loadCommand(name)).run(rest);
}

main(process.argv.slice(2)).catch((e: unknown) => {
  if (isEngineError(e) || e instanceof CliUsageError) {
    console.error(`vtc: ${e.message}`);
    process.exit(1);
  }
  throw e;
});
