/**
 * `dockguard` command-line entry point: dispatches the sub-commands of commands.ts.
 * Exit codes: 0 run completed, 1 rule tests failed or lint found errors,
 * 2 bad rules, options or configuration (nothing was evaluated).
 */
import '../runtime/v8-flags';
import { isDockguardError } from '../../detectors/errors';
import { COMMANDS } from './commands';

function usage(): string {
  return ['usage:', ...Object.values(COMMANDS).map((c) => `  ${c.usage}`), '  dockguard help'].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === 'help' || cmd === '--help' || cmd === '-h') {
    process.stdout.write(usage() + '\n');
    return cmd === undefined ? 2 : 0;
  }
  // two-word commands (`rules test`) first
  const [sub, ...subRest] = rest;
  const two = sub !== undefined ? COMMANDS[`${cmd} ${sub}`] : undefined;
  const command = two ?? COMMANDS[cmd];
  if (!command) {
    const known = Object.keys(COMMANDS).some((k) => k.startsWith(`${cmd} `));
    process.stderr.write(
      known
        ? `dockguard ${cmd}: unknown sub-command "${sub ?? ''}"\n${usage()}\n`
        : `dockguard: unknown command "${cmd}"\n${usage()}\n`,
    );
    return 2;
  }
  try {
    return await command.run(two ? subRest : rest);
  } catch (e) {
    if (isDockguardError(e)) {
      process.stderr.write(e.format() + '\n');
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`dockguard: internal error: ${(e as Error).stack ?? String(e)}\n`);
      process.exitCode = 70;
    },
  );
}
